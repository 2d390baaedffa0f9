"""``leads lti``: register platforms by hand, list them, rotate the tool key."""

from __future__ import annotations

import json

import typer

from bridge.cli.common import cli_errors, database, report, settings
from bridge.ltitool.admin import registration_from_fields
from bridge.ltitool.store import SqlToolConfigStore
from bridge.ltitool.tool import key_store, registration_url
from lti.errors import LtiError
from lti.keys import ensure_keys, rotate

app = typer.Typer(no_args_is_help=True)


@app.command("add-platform")
@cli_errors
def add_platform(
    issuer: str = typer.Option(..., help="The platform's issuer (Moodle: the site URL; Open edX: the LMS URL)"),
    client_id: str = typer.Option(..., "--client-id", help="The client id the platform gave LEADS"),
    auth_login_url: str = typer.Option(..., "--auth-login-url", help="OIDC authentication request URL"),
    auth_token_url: str = typer.Option(..., "--auth-token-url", help="OAuth 2 access token URL"),
    key_set_url: str = typer.Option(..., "--keyset-url", help="The platform's public keyset (JWKS) URL"),
    deployment: list[str] = typer.Option(..., "--deployment", help="A deployment id (repeat for several)"),
    name: str = typer.Option("", help="A name to recognise the platform by"),
    audience: str | None = typer.Option(None, help="Token audience if it differs from the token URL"),
) -> None:
    """Register (or update) one client id of a platform; deployment ids are added to the known ones."""
    reg = registration_from_fields(issuer, client_id, auth_login_url, auth_token_url, key_set_url, deployment, name,
                                   audience)
    store = SqlToolConfigStore(database())
    for other in store.conflicts(reg):  # stored as given, but an administrator should know what she trusts
        typer.echo(f"warning: {reg.issuer} is also registered as client {other.client_id} with other keys or "
                   f"sign-in addresses ({other.key_set_url}); both may sign in the platform's people", err=True)
    store.save(reg)
    typer.echo(f"registered {reg.issuer} client {reg.client_id} deployments {', '.join(reg.deployment_ids)}")


@app.command("list")
@cli_errors
def list_platforms(as_json: bool = typer.Option(False, "--json", help="Print JSON (for scripts)")) -> None:
    """The registered platforms, and the URLs to give a platform that registers LEADS."""
    platforms = SqlToolConfigStore(database()).list()
    base = settings().base_url.rstrip("/")
    if as_json:
        typer.echo(json.dumps({"registration_url": registration_url(settings()), "platforms": [
            {**p.__dict__, "deployment_ids": list(p.deployment_ids)} for p in platforms]}, indent=1))
        return
    typer.echo(f"dynamic registration URL: {registration_url(settings())}")
    typer.echo(f"login URL: {base}/lti/login   launch URL: {base}/lti/launch   keyset URL: {base}/lti/jwks")
    for p in platforms:
        typer.echo(f"{p.issuer}  client {p.client_id}  deployments {', '.join(p.deployment_ids) or '-'}  {p.name}")
    if not platforms:
        typer.echo("no platform registered yet")


@app.command("rotate-key")
@cli_errors
def rotate_key() -> None:
    """Generate a new signing key; the previous one stays in the JWKS so tokens it signed still verify."""
    store = key_store(settings())
    try:
        before = ensure_keys(store).active.kid
        ring = rotate(store)
    except LtiError as exc:  # the common CLI wrapper knows LeadsError only
        report(exc)
        raise typer.Exit(2) from exc
    typer.echo(f"new key {ring.active.kid} is active; previous key {before} is still published")
