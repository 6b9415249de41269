"""The `foresight` command line: the command groups assembled into one Typer app."""

from __future__ import annotations

import typer

from api.cli.audit import audit_app
from api.cli.cases import append, chronology_command, foresight_command
from api.cli.exports import export_app
from api.cli.importing import import_chronology
from api.cli.keys import rekey
from api.cli.operations import generate, project, rebuild, verify
from api.cli.reports import report_app
from api.cli.serving import demo, serve
from api.cli.users import users_app

app = typer.Typer(
    help="Foresight: a case chronology that shows what was known, when, and by whom.",
    no_args_is_help=True,
)
app.command()(append)
app.command(name="chronology")(chronology_command)
app.command(name="foresight")(foresight_command)
app.command()(demo)
app.command()(serve)
app.command()(generate)
app.command()(project)
app.command()(rebuild)
app.command()(verify)
app.command()(rekey)
app.command(name="import-chronology")(import_chronology)
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(report_app, name="report")
app.add_typer(export_app, name="export")
