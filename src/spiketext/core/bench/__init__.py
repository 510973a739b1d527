"""Benchmarks of the spiking engine against a re-implementation of the authors' structure."""
