"""Benchmarks run by `make bench`: a simulated news web on loopback and every performance figure."""
