"""Training and evaluation of binary super-resolution networks (Brevitas)."""
