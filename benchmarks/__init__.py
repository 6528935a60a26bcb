"""Benchmarks that `make bench` runs with ``python -m benchmarks``."""
