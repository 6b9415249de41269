"""`python -m tests.benchmarks`: every benchmark, one table (see suite.py)."""

from tests.benchmarks.suite import main

main()
