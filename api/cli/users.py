"""`foresight users`: users and their tokens."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from api.bootstrap import bootstrap
from api.settings import get_settings
from api.users import UserError, add_user, map_subject

users_app = typer.Typer(help="Users and their tokens.", no_args_is_help=True)
err = Console(stderr=True)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The user's name, recorded as recorded_by")],
    role: Annotated[str, typer.Option(help="practitioner, manager, reviewer, auditor or admin")],
    agency: Annotated[str, typer.Option(help="The user's agency, for example police")],
) -> None:
    """Add a user and print their token once; only its SHA-256 is stored."""
    try:
        engine = bootstrap(get_settings(), check_key=False).queries.engine
        user, token = add_user(engine, name, role, agency)
    except UserError as error:
        err.print(str(error))
        raise typer.Exit(1) from None
    err.print(f"Added {user.name} ({user.role}, {user.agency}). Token (shown once):")
    print(token)


@users_app.command("map")
def users_map(
    subject: Annotated[str, typer.Argument(help="The person's `sub` at the OpenID provider")],
    role: Annotated[str, typer.Option(help="practitioner, manager, reviewer, auditor or admin")],
    agency: Annotated[str, typer.Option(help="The user's agency, for example police")],
    name: Annotated[
        str | None, typer.Option(help="The name recorded as recorded_by (default: the subject)")
    ] = None,
) -> None:
    """Who a person signing in with their organisation's account acts as here, when the
    provider sends no agency or role claims (it replaces an earlier mapping of the subject)."""
    try:
        engine = bootstrap(get_settings(), check_key=False).queries.engine
        user = map_subject(engine, subject, name or subject, role, agency)
    except UserError as error:
        err.print(str(error))
        raise typer.Exit(1) from None
    err.print(f"Subject {subject} signs in as {user.name} ({user.role}, {user.agency}).")
