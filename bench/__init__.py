"""Benchmarks that print figures (`make bench` = `python -m bench`); nothing here asserts on time."""
