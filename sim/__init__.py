"""Simulation: golden models and testbenches for the generated hardware."""
