"""Bitemporal replay: a case as it was known at a time, to the record or to one agency."""
