"""`python -m api.cli`: the `foresight` command line, for a process started without the script."""

from __future__ import annotations

from api.cli import app

app()
