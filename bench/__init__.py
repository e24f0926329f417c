"""Benchmarks that print figures (never timed assertions). Run with `make bench` (`python -m bench`)."""
