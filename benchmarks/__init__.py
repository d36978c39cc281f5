"""Benchmarks (not tests): speed and quality measurements, results committed with date and machine."""
