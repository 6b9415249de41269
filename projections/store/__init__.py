"""The event store: the library's recorders with Foresight's index, append-only triggers, checks."""
