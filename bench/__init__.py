"""Benchmarks that print figures (never timed assertions). Run them all with `make bench` (`python -m bench`)."""
