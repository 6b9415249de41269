"""Reliability: load with many writers and readers, kill -9 faults, and an unavailable database.

`python -m tests.reliability.load` and `python -m tests.reliability.faults` run the larger,
bounded versions; the tests here run small ones in the default suite.
"""
