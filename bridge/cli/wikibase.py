"""``leads wikibase``: bootstrap, push and pull against the configured Wikibase, and export the sample dump."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from bridge.cli.common import cli_errors, database, settings
from bridge.dataspace import service
from bridge.dataspace.repository import EntityRepository

app = typer.Typer(no_args_is_help=True)


@app.command("bootstrap")
@cli_errors
def bootstrap(
    save_map: Path | None = typer.Option(None, "--save-map", help="Also write the property map JSON here "
                                         "(use it as LEADS_WIKIBASE_PROPERTY_MAP)"),
) -> None:
    """Create the LEADS properties and classes the Wikibase lacks (a second run creates nothing)."""
    from bridge.wikibase.client import WikibaseClient

    report = WikibaseClient.from_settings(settings()).bootstrap()
    for key, eid in report.created:
        typer.echo(f"created {eid:<8} {key}")
    for key, eid in report.found:
        typer.echo(f"found   {eid:<8} {key}")
    typer.echo(f"{len(report.created)} created, {len(report.found)} found")
    if save_map:
        save_map.write_text(json.dumps(report.propmap.as_dict(), indent=1) + "\n", encoding="utf-8")
        typer.echo(f"property map written to {save_map}")


@app.command("push")
@cli_errors
def push(path: Path = typer.Argument(..., help="A design-set JSON file (or a wbgetentities dump)")) -> None:
    """Validate a design set, then create or update its items (idempotent by LEADS key)."""
    from bridge.wikibase.client import WikibaseClient

    design_set = service.read_design_set_file(path)
    service.check(design_set)
    client = WikibaseClient.from_settings(settings())
    with database().session() as session:  # items pulled or pushed before: confirmed by id, not by search
        known = {e.key: e.wikibase_id for e in EntityRepository(session).list() if e.wikibase_id}
    report = client.push(design_set, client.property_map(settings()), known)
    for label, rows in (("created", report.created), ("updated", report.updated)):
        for key, eid in rows:
            typer.echo(f"{label} {eid:<8} {key}")
    typer.echo(f"{len(report.created)} created, {len(report.updated)} updated, {len(report.unchanged)} unchanged")


@app.command("pull")
@cli_errors
def pull(practice: str = typer.Option(..., "--practice", help="The practice's Q id or LEADS key")) -> None:
    """Read a practice and everything under it (50 ids a request) into the local store, all or nothing."""
    from bridge.wikibase.client import WikibaseClient

    client = WikibaseClient.from_settings(settings())
    db = database()
    with db.session() as session:  # a key pulled before: its Q id is known, no search needed
        local = EntityRepository(session).get(practice)
    ref = local.wikibase_id if local is not None and local.wikibase_id else practice
    result = client.pull(ref, client.property_map(settings()))
    n = service.store(db, result.design_set)
    typer.echo(f"stored {n} entities from {client.api_url} ({len(result.levels)} levels read)")


@app.command("export-dump")
@cli_errors
def export_dump(
    source: Path = typer.Argument(service.SAMPLE_DESIGN_SET, help="A design-set JSON file"),
    out: Path = typer.Option(service.SAMPLE_DUMP, "--out", help="Where to write the wbgetentities JSON"),
) -> None:
    """Write a design set as the entity JSON wbgetentities returns (how the bundled sample is made)."""
    from bridge.wikibase.codec import export_dump as export

    design_set = service.read_design_set_file(source)
    service.check(design_set)
    out.write_text(json.dumps(export(design_set), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    typer.echo(f"wrote {out}")
