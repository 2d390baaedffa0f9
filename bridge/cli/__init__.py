"""The ``leads`` command: one sub-command group per area."""

from __future__ import annotations

import typer

from bridge.cli import data, serve, wikibase

app = typer.Typer(help="LEADS: competence models → courses → signed certificates.", no_args_is_help=True)
app.command("serve")(serve.serve)
app.add_typer(data.app, name="data", help="The local data space: list, validate, load.")
app.add_typer(wikibase.app, name="wikibase", help="Talk to a Wikibase: bootstrap, push, pull.")
