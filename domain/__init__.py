"""The write side: the Case aggregate, its invariants, and the service that appends."""
