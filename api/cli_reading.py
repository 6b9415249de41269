"""Reading for the command line: the read models, caught up with the log first."""

from __future__ import annotations

from rich.console import Console
from rich.progress import Progress

from api.bootstrap import build_case_service, build_case_views_runner
from api.settings import get_settings
from replay.queries import CaseQueries


def caught_up_queries() -> CaseQueries:
    """Read-model queries, after applying any events the read models have not seen yet (a
    command reads the store as it is now, even with no projection process running)."""
    settings = get_settings()
    runner = build_case_views_runner(settings, build_case_service(settings))
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("Updating read models", total=runner.lag() or None)
        runner.catch_up(lambda count: progress.advance(task, count))
    return CaseQueries(runner.views.engine)
