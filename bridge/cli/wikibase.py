"""``leads wikibase``: bootstrap, push and pull against the configured Wikibase, and export the sample dump.

Progress and waits are shown on stderr; the HTTP and OAuth libraries' own logging goes to
``<data dir>/logs/wikibase.log`` (never a traceback on the terminal). Push and pull keep, per item, the revision and
fields last synced, so the next push can tell an edit made on the wiki from one made here.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import typer

from bridge.cli.common import cli_errors, database, settings
from bridge.dataspace import service
from bridge.dataspace.repository import EntityRepository
from bridge.wikibase import local
from bridge.wikibase.client import PushInterrupted, WikibaseClient
from bridge.wikibase.codec import export_dump as export

app = typer.Typer(no_args_is_help=True)
_NOISY = ("wikibaseintegrator", "urllib3", "requests_oauthlib", "oauthlib", "bridge.wikibase")

EDITS_PER_MINUTE = typer.Option(
    None, "--edits-per-minute", envvar="LEADS_WIKIBASE_EDITS_PER_MINUTE", min=1.0,
    help="Pace of edits (default: 90% of the limit the wiki reports for this account; none for accounts exempt "
         "from rate limits, such as bots with the noratelimit right)")


def _log_to_file() -> Path:
    """Library logging (wikibaseintegrator logs retries with tracebacks) goes to a file, at debug level."""
    path = settings().data_dir / "logs" / "wikibase.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    for name in _NOISY:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if isinstance(h, logging.FileHandler)]:
            logger.removeHandler(old)
            old.close()
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
    return path


def _client(edits_per_minute: float | None = None) -> WikibaseClient:
    _log_to_file()
    return WikibaseClient.from_settings(settings(), edits_per_minute=edits_per_minute,
                                        notify=lambda text: typer.echo(text, err=True))


@app.command("bootstrap")
@cli_errors
def bootstrap(
    save_map: Path | None = typer.Option(None, "--save-map", help="Also write the property map JSON here "
                                         "(use it as LEADS_WIKIBASE_PROPERTY_MAP)"),
    edits_per_minute: float | None = EDITS_PER_MINUTE,
) -> None:
    """Create the LEADS properties and classes the Wikibase lacks (a second run creates nothing)."""
    report = _client(edits_per_minute).bootstrap()
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
def push(path: Path = typer.Argument(..., help="A design-set JSON file (or a wbgetentities dump)"),
         edits_per_minute: float | None = EDITS_PER_MINUTE) -> None:
    """Validate a design set, then create or update its items (idempotent by LEADS key).

    Stops, writing nothing, where an item was changed on the wiki since the last pull in a field this push
    changes too; fields changed on only one side are merged.
    """
    design_set = service.read_design_set_file(path)
    service.check(design_set)
    client = _client(edits_per_minute)
    db = database()
    with db.session() as session:  # items pulled or pushed before: confirmed by id, not by search
        known = {e.key: e.wikibase_id for e in EntityRepository(session).list() if e.wikibase_id}
    base = local.load_records(db, client.api_url)
    from bridge.cli.progress import Progress

    try:
        with Progress("wikibase push", len(design_set.entities)) as bar:
            client.notify = bar.note  # "[n/total] updating …" moves the bar (plain lines without a terminal)
            report = client.push(design_set, client.property_map(settings()), known, base)
    except PushInterrupted as exc:
        local.save_records(db, client.api_url, exc.report.records)  # what did reach the wiki is the next base
        raise
    local.save_records(db, client.api_url, report.records)
    for label, rows in (("created", report.created), ("updated", report.updated),
                        ("merged ", report.merged)):
        for key, eid in rows:
            typer.echo(f"{label} {eid:<8} {key}")
    merged = f", {len(report.merged)} merged with edits made on the wiki" if report.merged else ""
    typer.echo(f"{len(report.created)} created, {len(report.updated)} updated, {len(report.unchanged)} unchanged"
               + merged)


@app.command("pull")
@cli_errors
def pull(practice: str = typer.Option(..., "--practice", help="The practice's Q id or LEADS key")) -> None:
    """Read a practice and everything under it (50 ids a request) into the local store, all or nothing.

    The practice replaces what was stored for it: entities gone or unlinked on the wiki are removed.
    """
    client = _client()
    db = database()
    with db.session() as session:  # a key pulled before: its Q id is a hint, used only if the key still matches
        local_entity = EntityRepository(session).get(practice)
    hint = local_entity.wikibase_id if local_entity is not None else None
    result = client.pull(practice, client.property_map(settings()), hint)
    root = next((e.key for e in result.design_set.entities if e.key == practice or e.wikibase_id == practice),
                practice)
    applied = local.apply_pull(db, result, root, client.api_url)
    for key in applied.removed:
        typer.echo(f"removed {key} (gone from {root} on the wiki)")
    for key, refs in applied.kept:
        typer.echo(f"kept    {key}: gone from {root} on the wiki, but {', '.join(refs)} here still refer to it")
    removed = f", removed {len(applied.removed)}" if applied.removed else ""
    typer.echo(f"stored {applied.stored} entities from {client.api_url} ({len(result.levels)} levels read)"
               + removed)


@app.command("export-dump")
@cli_errors
def export_dump(
    source: Path = typer.Argument(service.SAMPLE_DESIGN_SET, help="A design-set JSON file"),
    out: Path = typer.Option(service.SAMPLE_DUMP, "--out", help="Where to write the wbgetentities JSON"),
) -> None:
    """Write a design set as the entity JSON wbgetentities returns (how the bundled sample is made)."""
    design_set = service.read_design_set_file(source)
    service.check(design_set)
    out.write_text(json.dumps(export(design_set), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    typer.echo(f"wrote {out}")
