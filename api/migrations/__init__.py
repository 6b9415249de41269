"""Schema migrations of Foresight's own tables (Alembic), and the runner that applies them."""
