"""The ways in: settings, the composition root, the CLI (and, later, HTTP)."""
