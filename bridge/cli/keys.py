"""``leads keys encrypt``: encrypt the signing keys kept in the clear (development) before going to production."""

from __future__ import annotations

import typer

from bridge.cli.common import cli_errors, settings
from bridge.errors import LeadsError
from bridge.ltitool.tool import key_store as lti_key_store
from issuer.errors import IssuerError
from issuer.keys.store import FileKeyStore
from lti.errors import LtiError

app = typer.Typer(no_args_is_help=True)


@app.command("encrypt")
@cli_errors
def encrypt() -> None:
    """Encrypt every issuer and LTI key file with LEADS_KEY_PASSPHRASE (already encrypted ones stay as they are)."""
    current = settings()
    passphrase = current.key_passphrase.get_secret_value() if current.key_passphrase else ""
    if not passphrase.strip():
        raise LeadsError("set LEADS_KEY_PASSPHRASE first (e.g. `openssl rand -base64 32`)", code="no_passphrase")
    directories = sorted(p.parent for p in current.data_dir.glob("keys/*/keys.json"))
    total = 0
    for directory in directories:
        try:
            count = FileKeyStore(directory, passphrase).encrypt()
        except IssuerError as exc:
            raise LeadsError(str(exc), code="key_store_unreadable") from exc
        total += count
        typer.echo(f"{directory}: {count} key file(s) encrypted")
    lti = lti_key_store(current)
    try:
        count = lti.encrypt()
    except LtiError as exc:
        raise LeadsError(exc.message, code=exc.code) from exc
    total += count
    typer.echo(f"{lti.directory}: {count} key file(s) encrypted")
    typer.echo(f"{total} key file(s) encrypted")
