"""Export of trained networks to FINN: custom HW ops and graph transformations."""
