"""Benchmarks run by `make bench` (see docs/BENCHMARKS.md). Not part of the product."""
