"""Benchmarks (not tests): each `bench_*.py` module's `main()` prints its figures."""
