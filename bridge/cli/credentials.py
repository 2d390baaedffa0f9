"""``leads issue``, ``leads verify`` and ``leads credential revoke|suspend|unsuspend``: credentials offline.

Everything works on the local store: issuing signs with the keys in the data directory, and verifying a credential
issued by this installation resolves its did:web and reads its status lists locally (no server needed); other
issuers' DIDs and status lists are fetched over HTTP.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import typer

from bridge.certificates.extract import MAX_UPLOAD_BYTES, extract
from bridge.cli.common import database, existing_database, report, settings, wire_canonicaliser
from bridge.cli.sqlite_records import SqliteRecords
from bridge.credentials.verification import Verifier, VerifyRecords
from bridge.errors import LeadsError
from bridge.trust.service import ADMINS
from issuer.documents.names import clean_name
from issuer.errors import IssuerError
from issuer.verify import IssuerTrust

if TYPE_CHECKING:
    from bridge.credentials.records import CredentialRecords
    from bridge.credentials.service import CredentialService
    from bridge.trust.api import IssuerDirectory

app = typer.Typer(no_args_is_help=True)
P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except (LeadsError, IssuerError) as exc:
        report(exc)
        for violation in getattr(exc, "violations", []) or []:
            typer.echo(f"  - {violation}", err=True)
        sys.exit(2)


def _cli(fn: Callable[P, R]) -> Callable[P, R]:
    """Domain errors (bridge's and the issuer's) become a message on stderr and exit status 2."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with _errors():
            return fn(*args, **kwargs)
        raise AssertionError("unreachable")

    return wrapper


def _service() -> CredentialService:
    """The full credential service (issuing: the data space, the formats) — imported here, as ``verify`` needs
    none of it and its start-up is measured (benchmarks/bench_cli.py)."""
    from bridge import composition

    return composition.credential_service(settings(), database())


@_cli
def issue(
    design: str = typer.Option(..., "--design", help="Design key (leads data list --kind credential-design)"),
    name: str = typer.Option(..., "--name", help="The learner's full name"),
    fmt: str = typer.Option("ob3", "--format", help="ob3 | edc | jwt"),
    learner_id: str | None = typer.Option(None, "--learner-id", help="A URI for the learner (DID, urn:…)"),
    email: str | None = typer.Option(None, "--email", help="Published only as a salted hash"),
    grade: str | None = typer.Option(None, "--grade"),
    issuer_slug: str | None = typer.Option(None, "--issuer", help="Issuing organisation slug"),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write the credential here"),
    pdf: Path | None = typer.Option(None, "--pdf", help="Also write the PDF certificate (QR + embedded credential)"),
    lang: str = typer.Option("en", "--lang", help="Language of the PDF certificate (en, es)"),
) -> None:
    """Issue a signed credential from a design; print it, or write it to FILE with -o (and the PDF with --pdf)."""
    from bridge.credentials.service import IssueInput

    name = clean_name(name)  # the same rule as the API, the forms and the award pipeline (before any work)
    svc = _service()
    row = svc.issue(IssueInput(design_key=design, learner_name=name, format=fmt, learner_id=learner_id,
                               learner_email=email, grade=grade, issuer_slug=issuer_slug))
    text = str(row.document["jwt"]) if row.format == "jwt" else json.dumps(row.document, indent=2,
                                                                           ensure_ascii=False)
    if pdf is not None:
        from bridge.cli.certificates import write_certificate_pdf

        write_certificate_pdf(row.id, pdf, lang=lang)
        typer.echo(f"certificate PDF → {pdf}", err=True)
    if output is None and pdf is not None:
        return
    if output is None:
        typer.echo(text)
        return
    output.write_text(text + "\n", encoding="utf-8")
    typer.echo(f"issued {row.format} credential urn:uuid:{row.id} → {output}", err=True)


@_cli
def verify(
    path: Path = typer.Argument(..., help="A credential (JSON or a VC-JOSE JWT), a certificate PDF, or the text "
                                "of an offline QR code (VC1:…)"),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON"),
) -> None:
    """Verify a credential and print every check and who issued it; exit 0 when verified (genuine AND from a
    trusted issuer), 1 when not, 2 when it cannot be read."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_UPLOAD_BYTES + 1)
    except OSError as exc:
        raise LeadsError(f"{path}: cannot read ({exc.strerror})", code="file_not_found", status=404) from None
    found = extract(None, data, path.name)  # the same reading as the /verify page: PDF, offline QR, JSON, JWT
    # the stored records as they stand: verifying reads them and issues nothing (a status list re-signed when it
    # aged, as the web does); no composition root, data space, formats nor FastAPI to import, and on the embedded
    # SQLite file no ORM either (bridge/cli/sqlite_records.py)
    records: VerifyRecords
    light = SqliteRecords.open(settings(), _records)
    if light is not None:
        wire_canonicaliser(settings())
        records = light
    else:
        records = _records(None)
    verifier = Verifier(records)
    try:
        result = verifier.verify(found.credential)
    finally:
        verifier.close()
        # connections closed now, not left to the collector at exit (bridge.cli._load)
        if light is not None:
            light.close()
        else:
            records.db.engine.dispose()
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=1, ensure_ascii=False))
    else:
        for check in result.checks:
            mark = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP", "not_run": "-", "unknown": "?"}[
                check.outcome]
            typer.echo(f"{mark:<5} {check.name:<14} {check.message}")
        for line in _issuer_lines(result.trust):
            typer.echo(line)
        typer.echo(f"verdict: {result.verdict}. {result.summary()}")
    raise typer.Exit(0 if result.ok else 1)


def _records(directory: IssuerDirectory | None) -> CredentialRecords:
    """The stored records through the ORM, on the database as it stands (migrated first if it is behind)."""
    from bridge.credentials.records import CredentialRecords

    return CredentialRecords(existing_database(), settings(), directory=directory)


def _issuer_lines(trust: IssuerTrust | None) -> list[str]:
    if trust is None:
        return []
    if not trust.trusted:
        return [f"{'UNKN':<5} {'issued by':<14} the signature is intact but LEADS does not know this issuer: "
                f"{trust.did or '(no issuer named)'}"]
    where = {"own": "this installation's own issuer"}.get(trust.standing) or (
        "trusted by this installation's administrators" if trust.registry == ADMINS else f"listed in {trust.registry}")
    lines = [f"{'TRUST':<5} {'issued by':<14} {trust.name} ({trust.did}), {where}"]
    if trust.name_differs:
        lines.append(f"{'WARN':<5} {'issuer name':<14} the credential calls its issuer “{trust.claimed_name}”; "
                     f"the registry knows it as “{trust.name}”")
    return lines


@app.command("revoke")
@_cli
def revoke(credential_id: str = typer.Argument(..., help="The credential id (uuid or urn:uuid:…)"),
           reason: str = typer.Option(..., "--reason", help="Why (kept with the credential)")) -> None:
    """Revoke a credential (final) and re-sign its status list."""
    row = _service().revoke(credential_id, reason)
    typer.echo(f"revoked urn:uuid:{row.id}: {row.revoked_reason}")


@app.command("suspend")
@_cli
def suspend(credential_id: str = typer.Argument(...),
            reason: str = typer.Option(..., "--reason")) -> None:
    """Suspend a credential (reversible with unsuspend)."""
    row = _service().suspend(credential_id, reason)
    typer.echo(f"suspended urn:uuid:{row.id}: {row.suspended_reason}")


@app.command("unsuspend")
@_cli
def unsuspend(credential_id: str = typer.Argument(...),
              reason: str = typer.Option(..., "--reason")) -> None:
    """Lift a suspension."""
    row = _service().unsuspend(credential_id, reason)
    typer.echo(f"unsuspended urn:uuid:{row.id}")
