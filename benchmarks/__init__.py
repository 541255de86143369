"""Benchmarks run by `make bench`: a simulated news web on loopback and the figures of issue 9."""
