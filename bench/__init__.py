"""Benchmarks, outside the test run: `python -m bench.NAME`."""
