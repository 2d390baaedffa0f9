"""``leads data``: the local data space."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from bridge.cli.common import cli_errors, database
from bridge.dataspace import service
from bridge.dataspace.model import Kind
from bridge.dataspace.repository import EntityRepository

app = typer.Typer(no_args_is_help=True)


@app.command("list")
@cli_errors
def list_entities(
    kind: Kind | None = typer.Option(None, "--kind", help="Only this kind of entity"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (for scripts)"),
) -> None:
    """List the entities with their stable keys."""
    db = database()
    with db.session() as session:
        entities = EntityRepository(session).list(kind)
    if as_json:
        typer.echo(json.dumps([{"key": e.key, "kind": e.kind.value, "label": e.label(), "wikibase_id": e.wikibase_id}
                               for e in entities], ensure_ascii=False, indent=1))
        return
    for e in entities:
        typer.echo(f"{e.kind.value:<18} {e.key:<40} {e.label()}")


@app.command("validate")
@cli_errors
def validate_file(path: Path = typer.Argument(..., help="A design-set JSON file or a wbgetentities dump")) -> None:
    """Check a design set; print every problem and exit 2 if there is any."""
    design_set = service.read_design_set_file(path)
    service.check(design_set)
    typer.echo(f"{path}: {len(design_set.entities)} entities, no problems")


@app.command("load")
@cli_errors
def load_file(path: Path = typer.Argument(..., help="A design-set JSON file or a wbgetentities dump")) -> None:
    """Validate a design set and store it locally (all or nothing)."""
    n = service.store(database(), service.read_design_set_file(path))
    typer.echo(f"stored {n} entities")
