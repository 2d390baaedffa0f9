"""``leads keys``: the issuers' signing keys — list, rotate, retire a compromised one, add a PKCS#11 token key,
and encrypt the key files kept in the clear (development) before going to production (decision 025)."""

from __future__ import annotations

import json
from typing import Any

import typer

from bridge.cli.common import cli_errors, database, settings
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


def _manager() -> Any:
    from bridge.credentials.keys import KeyManager
    from bridge.credentials.service import CredentialService

    return KeyManager(CredentialService(database(), settings()))


ORG = typer.Option(None, "--org", help="The issuing organisation's slug (default: the installation itself)")


@app.command("list")
@cli_errors
def listing(org: str | None = ORG, as_json: bool = typer.Option(False, "--json", help="Print JSON")) -> None:
    """The organisation's keys, oldest first: which one signs, which are retired, and how many credentials each
    signed."""
    keys = _manager().keys_of(org)
    if as_json:
        typer.echo(json.dumps(keys, indent=1))
        return
    for key in keys:
        state = "ACTIVE " if key["active"] else ("RETIRED" if key["retired"] else "old    ")
        where = key["backend"] + (" (encrypted)" if key["encrypted"] else "")
        retired = f"  retired {key['retired']}: {key['retired_reason']}" if key["retired"] else ""
        typer.echo(f"{state} {key['key_id']}  created {key['created']}  {where}  "
                   f"{key['credentials']} credential(s){retired}")


@app.command("rotate")
@cli_errors
def rotate(org: str | None = ORG) -> None:
    """Make a new key the active one; earlier keys stay in the DID document, so what they signed still verifies."""
    record = _manager().rotate(org)
    typer.echo(f"new active key {record.key_id} (created {record.created}); earlier keys keep verifying")


@app.command("retire")
@cli_errors
def retire(
    key_id: str = typer.Argument(..., help="The key id (its publicKeyMultibase, as `leads keys list` shows it)"),
    reason: str = typer.Option(..., "--reason", help="Why (kept with the key and every credential revoked)"),
    org: str | None = ORG,
    as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON"),
) -> None:
    """Retire a compromised key: it leaves assertionMethod, every credential it signed is revoked with the reason,
    and awards are re-issued (re-queued for the worker; learners are told by e-mail when it is configured)."""
    from bridge.awards.service import requeue_replaced
    from bridge.cli.progress import Progress

    manager = _manager()
    db = manager.service.db

    def requeue(keys: Any, why: str, notice: str) -> list[str]:
        with db.session() as session:
            return requeue_replaced(session, keys, why, notice)

    with Progress("revoking credentials", quiet=as_json) as bar:
        report = manager.retire(org, key_id, reason, requeue=requeue, progress=bar.update)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=1))
        return
    typer.echo(f"retired {report.key.key_id} of {report.org} ({report.key.retired_reason}); "
               f"active key: {report.active_key}")
    typer.echo(f"{len(report.credentials)} credential(s) signed by it; {len(report.revoked)} revoked now")
    for cid in report.credentials:
        typer.echo(f"  {cid}")
    typer.echo(f"{len(report.requeued_awards)} award(s) re-queued for a new credential (`leads worker` issues them)")
    if report.not_requeued:
        typer.echo(f"{len(report.not_requeued)} credential(s) were issued outside the award pipeline; issue them "
                   "again with `leads issue`:")
        for cid in report.not_requeued:
            typer.echo(f"  {cid}")
    typer.echo(f"{len(report.status_lists_resigned)} status list(s) re-signed with the active key")


@app.command("add-pkcs11")
@cli_errors
def add_pkcs11(
    module: str = typer.Option(..., "--module",
                               help="The token's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so"),
    token: str = typer.Option(..., "--token", help="The token label"),
    label: str = typer.Option(..., "--label", help="The Ed25519 key pair's label in the token"),
    generate: bool = typer.Option(False, "--generate", help="Generate the key pair in the token first"),
    org: str | None = ORG,
) -> None:
    """Make an Ed25519 key held in a PKCS#11 token (HSM, smart card) the organisation's active key; the PIN comes
    from LEADS_PKCS11_PIN and is never written."""
    from issuer.keys.pkcs11 import generate_pkcs11_key

    current = settings()
    pin = current.pkcs11_pin.get_secret_value() if current.pkcs11_pin else None
    try:
        if generate:
            if not pin:
                raise LeadsError("set LEADS_PKCS11_PIN to generate a key in the token", code="no_pin")
            generate_pkcs11_key(module, token, label, pin)
        manager = _manager()
        store = manager.directory.keys(manager.directory.get(org))
        signer = store.add_external("pkcs11", {"module": module, "token_label": token, "key_label": label})
    except IssuerError as exc:
        raise LeadsError(str(exc), code=exc.code, status=exc.status) from exc
    typer.echo(f"active key {signer.key_id} (PKCS#11 token {token!r}, key {label!r})")
