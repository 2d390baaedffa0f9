"""``leads issuers``: which issuers LEADS trusts — add, remove, list, and refresh the registries."""

from __future__ import annotations

import json

import typer

from bridge import composition
from bridge.cli import keys as keys_cli
from bridge.cli.common import cli_errors, database, settings
from bridge.credentials.verification import Verifier

app = typer.Typer(no_args_is_help=True)
app.add_typer(keys_cli.app, name="keys", help="The issuers' signing keys (the same as `leads keys`).")


def _verifier() -> Verifier:
    return composition.verifier(settings(), database())


@app.command("trust")
@cli_errors
def trust(
    did: str = typer.Argument(..., help="The issuer's DID, e.g. did:web:university.example"),
    name: str = typer.Option(..., "--name", help="The name LEADS shows for this issuer"),
    url: str | None = typer.Option(None, "--url", help="The issuer's web site"),
) -> None:
    """Trust an issuer: its genuine credentials verify, shown under this name."""
    verifier = _verifier()
    try:
        added = verifier.trust.trust(did, name, url)
    finally:
        verifier.close()
    typer.echo(f"trusted {added.did} as “{added.name}”")


@app.command("untrust")
@cli_errors
def untrust(did: str = typer.Argument(..., help="A DID added with 'leads issuers trust'")) -> None:
    """Stop trusting an issuer the administrators added (registries are changed at their source)."""
    verifier = _verifier()
    try:
        verifier.trust.untrust(did)
    finally:
        verifier.close()
    typer.echo(f"no longer trusted: {did}")


@app.command("list")
@cli_errors
def listing(as_json: bool = typer.Option(False, "--json", help="Print JSON")) -> None:
    """This installation's own issuers, the issuers the administrators trust, and each registry's state."""
    verifier = _verifier()
    try:
        book = verifier.trust
        directory = verifier.service.directory
        own = [{"did": directory.did(o), "name": o.names.get("en") or o.slug} for o in directory.orgs.values()]
        added = [t.as_dict() for t in book.trusted()]
        registries = [s.as_dict() for s in book.registries.status()]
    finally:
        verifier.close()
    if as_json:
        typer.echo(json.dumps({"own": own, "trusted": added, "registries": registries}, indent=1,
                              ensure_ascii=False))
        return
    for item in own:
        typer.echo(f"own       {item['did']}  {item['name']}")
    for item in added:
        typer.echo(f"trusted   {item['did']}  {item['name']}")
    for reg in registries:
        state = f"{reg['issuers']} issuers" + (" (last good copy)" if reg["from_cache"] else "")
        error = f"; last refresh failed: {reg['error']}" if reg["error"] else ""
        typer.echo(f"registry  {reg['name']}  {reg['url']}: {state}{error}")


@app.command("refresh")
@cli_errors
def refresh() -> None:
    """Fetch every configured registry now (exit 1 when one of them could not be refreshed)."""
    verifier = _verifier()
    try:
        states = verifier.trust.refresh()
    finally:
        verifier.close()
    failed = False
    for state in states:
        if state.error:
            failed = True
            typer.echo(f"{state.source.name}: NOT refreshed ({state.error}); keeping {len(state.entries)} issuers")
        else:
            typer.echo(f"{state.source.name}: {len(state.entries)} issuers")
    if not states:
        typer.echo("no issuer registries are configured (LEADS_TRUST_REGISTRIES)")
    raise typer.Exit(1 if failed else 0)
