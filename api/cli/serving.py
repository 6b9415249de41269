"""Serving the API: `serve`, and `demo`, which loads the demo case and serves it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from api.bootstrap import bootstrap
from api.cli.cases import chronology_table
from api.cli.reading import caught_up_queries, log_cli_read
from api.samples.demo import DEMO_AUTHORITY_YEAR, DEMO_CASE, demo_authority_events, demo_case_events
from api.settings import get_settings
from api.users import issue_token
from events.envelope import parse_event

out = Console()


DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEMO_USERS = (
    ("sw-jones", "practitioner", "social_care"),
    ("tm-hughes", "manager", "social_care"),
    ("pc-1234", "practitioner", "police"),
    ("dsl-patel", "practitioner", "school"),
    ("hv-okafor", "practitioner", "health"),
    ("reviewer-lee", "reviewer", "review"),
    ("auditor-khan", "auditor", "information_governance"),
)


def demo(
    host: Annotated[str, typer.Option(help="Address to serve on")] = DEFAULT_HOST,
    port: Annotated[int, typer.Option(help="Port to serve on")] = DEFAULT_PORT,
    serve_api: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve after loading")
    ] = True,
    authority: Annotated[
        int,
        typer.Option(
            help="Children of a generated authority loaded beside the demo case, for the reports "
            "and statutory returns (0: none)",
            min=0,
        ),
    ] = 60,
) -> None:
    """Load the multi-agency demo case FAM-0042 and a generated authority around it, make demo
    users, and serve the API and the web page."""
    settings = get_settings()
    foresight = bootstrap(settings)
    service = foresight.service
    envelopes = [parse_event(raw) for raw in demo_case_events()]
    outcome = service.append(envelopes)
    out.print(
        f"Demo case {DEMO_CASE}: {outcome.new_count} new event(s), "
        f"{len(outcome.events) - outcome.new_count} already stored, in {settings.db_url}"
    )
    generated = [parse_event(raw) for raw in demo_authority_events(authority)]
    if generated:
        stored = service.append(generated)
        cases = len({envelope.case_id for envelope in generated})
        out.print(
            f"Generated authority: {authority} children in {cases} cases (AUTH-…), census year "
            f"{DEMO_AUTHORITY_YEAR - 1}-{DEMO_AUTHORITY_YEAR % 100:02d}: {stored.new_count} new "
            f"event(s)",
            highlight=False,
            soft_wrap=True,
        )
    queries = caught_up_queries(foresight)
    log_cli_read(queries, "demo", case_id=DEMO_CASE)
    entries = queries.chronology(DEMO_CASE)
    terminal = Console()  # made now, so the width (COLUMNS) is read when printing
    terminal.print(chronology_table(DEMO_CASE, entries, None, None, terminal.width))
    out.print("Demo users (new tokens on every run):")
    for name, role, agency in DEMO_USERS:
        _, token = issue_token(queries.engine, name, role, agency)
        print(f"  {name:<13} {role:<13} {agency:<23} {token}")
    if not serve_api:
        # No address: nothing answers at one until the store is served.
        out.print(
            f"Nothing is served (--no-serve). To serve this store: {serve_command(host, port)}",
            highlight=False,
            soft_wrap=True,
        )
        return
    base = f"http://{host}:{port}"
    out.print(
        f"Web page: {base}/ui/cases/{DEMO_CASE} (sign in with a token above)\n"
        f"API docs: {base}/docs\n"
        f"Chronology: curl -H 'Authorization: Bearer <token>' "
        f"'{base}/cases/{DEMO_CASE}/chronology?as_known_at=2024-01-16T12:00'",
        highlight=False,
        soft_wrap=True,
    )
    serve(host=host, port=port, workers=1)


def serve_command(host: str, port: int) -> str:
    """The `foresight serve` that serves on the address the demo was given."""
    command = "foresight serve"
    if host != DEFAULT_HOST:
        command += f" --host {host}"
    if port != DEFAULT_PORT:
        command += f" --port {port}"
    return command


WORKER_START_SECONDS = 60


def serve(
    host: Annotated[str, typer.Option(help="Address to serve on")] = DEFAULT_HOST,
    port: Annotated[int, typer.Option(help="Port to serve on")] = DEFAULT_PORT,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Serve the API for the store named by FORESIGHT_DB_URL."""
    import uvicorn

    # A spawned worker answers the supervisor's pings only once it has imported the app and
    # opened the store; uvicorn's default 5 s made a busy host kill and respawn every worker
    # for ever (found by tests/reliability).
    uvicorn.run(
        "api.http.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        timeout_worker_healthcheck=WORKER_START_SECONDS,
    )
