"""Sample data: the demo case and the synthetic authority generator."""
