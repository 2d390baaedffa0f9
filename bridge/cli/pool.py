"""``leads pool``: open a profile, publish a credential, re-check the pool against status lists."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import typer

from bridge import composition
from bridge.cli.common import cli_errors, database, settings
from bridge.pool import holding, service
from bridge.pool.verifier import PoolVerifier
from issuer import jsonbound

app = typer.Typer(no_args_is_help=True)


def _verifier() -> PoolVerifier:
    return composition.pool_verifier(settings(), database())


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


@app.command("challenge")
@cli_errors
def challenge() -> None:
    """Print a single-use challenge and this site's domain, to sign a presentation over (for ``publish``)."""
    issued = holding.challenge(database(), settings(), datetime.now(UTC))
    typer.echo(json.dumps(issued, indent=2))


@app.command("publish")
@cli_errors
def publish(
    handle: str = typer.Argument(...),
    path: Path = typer.Argument(..., help="A Verifiable Presentation holding the credential (JSON or VP-JWT), "
                                          "signed by its subject DID over a challenge from `leads pool challenge`"),
    token: str = typer.Option(..., "--token", envvar="LEADS_POOL_TOKEN", help="The profile's management token"),
) -> None:
    """Verify the presentation and its credential, and list the credential in the pool."""
    text = path.read_text(encoding="utf-8").strip()
    presentation = jsonbound.loads(text) if text.startswith("{") else text
    if isinstance(presentation, dict) and "VerifiablePresentation" not in str(presentation.get("type")):
        raise holding.refuse_bare(presentation)
    entry = holding.publish_presented(database(), _verifier(), settings(), handle=handle, token=token,
                                      presentation=presentation, now=datetime.now(UTC))
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
