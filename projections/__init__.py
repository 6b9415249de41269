"""The SQL side: the event store's tables and the read models kept from the event log."""
