"""Helpers only tests and benchmarks use."""
