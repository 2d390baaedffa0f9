"""``leads pool``: open a profile, publish a credential, re-check the pool against status lists."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from bridge.cli.common import cli_errors, database, settings
from bridge.credentials.service import CredentialService
from bridge.credentials.verification import Verifier
from bridge.pool import service
from bridge.pool.verifier import PoolVerifier
from issuer import jsonbound

app = typer.Typer(no_args_is_help=True)


def _verifier() -> PoolVerifier:
    return PoolVerifier(Verifier(CredentialService(database(), settings())), settings().pool_trust)


@app.command("profile")
@cli_errors
def create_profile(
    handle: str = typer.Argument(..., help="Short public handle, e.g. cat"),
    name: str = typer.Option(..., "--name", help="Display name"),
    wiki_user: str | None = typer.Option(None, "--wiki-user", help="Wikimedia user name"),
    language: list[str] = typer.Option([], "--language", help="Language code; repeat for several"),
    contact: str | None = typer.Option(None, "--contact", help="A public link to reach you (never an e-mail)"),
) -> None:
    """Open a pool profile; prints the management token once."""
    profile, token = service.create_profile(database(), handle=handle, display_name=name, wiki_username=wiki_user,
                                            languages=language, contact=contact)
    typer.echo(f"profile {profile.handle} created; management token (keep it, shown once): {token}")


@app.command("publish")
@cli_errors
def publish(
    handle: str = typer.Argument(...),
    path: Path = typer.Argument(..., help="The credential file (JSON-LD or JWT)"),
    token: str = typer.Option(..., "--token", envvar="LEADS_POOL_TOKEN", help="The profile's management token"),
) -> None:
    """Verify a credential and list it in the pool."""
    text = path.read_text(encoding="utf-8").strip()
    credential = jsonbound.loads(text) if text.startswith("{") else text
    entry = service.publish(database(), _verifier(), handle=handle, token=token, credential=credential,
                            entity_base=settings().entity_base)
    typer.echo(f"published entry {entry.id}: {entry.title}")


@app.command("recheck")
@cli_errors
def recheck(every: int = typer.Option(0, "--every", help="Repeat every N seconds (0: once)")) -> None:
    """Re-verify every listed credential: revoked or expired ones leave the pool, suspended ones are hidden until
    the suspension is lifted, and when a status list cannot be fetched the entry stays (retried later)."""
    while True:
        result = service.recheck(database(), _verifier(), retry_seconds=settings().pool_recheck_retry_seconds)
        typer.echo(f"re-checked the pool: {result.summary()}")
        if every <= 0:
            return
        time.sleep(every)
