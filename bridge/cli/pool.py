"""``leads pool``: open a profile, publish a credential, re-check the pool against status lists."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typer

from bridge import composition
from bridge.cli.common import EVERY_MAX_SECONDS, cli_errors, database, settings
from bridge.cli.progress import Progress
from bridge.pool import holding, retention, service
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
    language: list[str] = typer.Option([], "--language", help="Language code; repeat for several"),
    contact: str | None = typer.Option(None, "--contact", help="A public link to reach you (never an e-mail)"),
) -> None:
    """Open a pool profile; prints the management token once."""
    profile, token = service.create_profile(database(), handle=handle, display_name=name, languages=language,
                                            contact=contact)
    typer.echo(f"to show your wiki username, sign in with Wikimedia: leads pool wiki-login {profile.handle}")
    typer.echo(f"profile {profile.handle} created; management token (keep it, shown once): {token}")


@app.command("delete")
@cli_errors
def delete_profile(
    handle: str = typer.Argument(..., help="The profile's handle"),
    yes: bool = typer.Option(False, "--yes", help="Confirm: the profile and its credentials go for good"),
) -> None:
    """Delete a pool profile and everything published on it (its owner's request, or a takedown). Owners can do it
    themselves from the profile's page."""
    if not yes:
        typer.echo(f"this deletes the profile {handle} and every credential published on it, for good; "
                   f"run again with --yes to confirm", err=True)
        raise typer.Exit(2)
    gone = service.remove_profile(database(), handle)
    typer.echo(f"profile {handle} deleted, with {gone} published credential{'s' if gone != 1 else ''}")


@app.command("wiki-login")
@cli_errors
def wiki_login(
    handle: str = typer.Argument(...),
    token: str = typer.Option(..., "--token", envvar="LEADS_POOL_TOKEN", help="The profile's management token"),
) -> None:
    """Print the Wikimedia sign-in link that sets the profile's wiki username (there is no way to type one)."""
    from bridge.pool import wikilogin

    db = database()
    service.check_token(db, handle, token)
    with db.session() as session:
        from sqlalchemy import select

        from bridge.pool.tables import PoolProfile

        profile_id = session.scalar(select(PoolProfile.id).where(PoolProfile.handle == handle))
    url = wikilogin.start(db, settings(), datetime.now(UTC), profile_id)
    typer.echo(f"open this link in your browser and sign in as the wiki user to show (valid 10 minutes):\n{url}")


@app.command("capx-sync")
@cli_errors
def capx_sync() -> None:
    """Sync every profile connected to the Capacity Exchange: what LEADS added for a credential that has left the
    pool (revoked, suspended, expired) leaves CapX. Run it after ``leads pool recheck``."""
    import httpx

    from bridge.pool import capx

    config = settings()
    with httpx.Client(timeout=config.fetch_timeout_seconds, headers={"User-Agent": config.user_agent}) as http:
        outcomes = capx.sync_all(database(), config, http, datetime.now(UTC))
    for handle, outcome in outcomes:
        typer.echo(f"{handle}: {outcome}")
    if not outcomes:
        typer.echo("no pool profile is connected to the Capacity Exchange")


@app.command("challenge")
@cli_errors
def challenge() -> None:
    """Print a single-use challenge and this site's domain, to sign a presentation over (for ``publish``)."""
    issued = holding.challenge(settings(), datetime.now(UTC))
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
def recheck(every: int = typer.Option(0, "--every", min=0, max=EVERY_MAX_SECONDS,
                                      help="Repeat every N seconds (0: once; at most a year)")) -> None:
    """Re-verify every listed credential: revoked or expired ones leave the pool, suspended ones are hidden until
    the suspension is lifted, and when a status list cannot be fetched the entry stays (retried later)."""
    if every > 0:  # one pass per period across every replica (a lease in the database, docs/decisions/024)
        from bridge.scheduling.jobs import every_period, pool_recheck

        every_period(database(), settings(), "pool-recheck", pool_recheck, every,
                     lambda summary: typer.echo(f"re-checked the pool: {summary}"))
        return
    with Progress("pool entries re-checked") as bar:
        result = service.recheck(database(), _verifier(), retry_seconds=settings().pool_recheck_retry_seconds,
                                 progress=bar.update)
    tidied = retention.tidy(database(), datetime.now(UTC), settings().pool_keep_empty)
    typer.echo(f"re-checked the pool: {result.summary()}; {tidied.text()}")
