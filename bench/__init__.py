"""Benchmarks: they print their figures and write them to `bench/results/`; never timed tests."""
