"""The event vocabulary: what can be recorded about a case, and how it is checked."""
