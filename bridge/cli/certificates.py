"""``leads certificate pdf|extract|qr``: the printable certificate of an issued credential, the credential inside
a certificate PDF (to hand to ``leads verify``), and QR codes as files."""

from __future__ import annotations

from pathlib import Path

import typer

from bridge import composition
from bridge.certificates.extract import pdf_attachment
from bridge.certificates.page import (
    credential_bytes,
    credential_value,
    pdf_cache_for,
    pdf_withheld,
    row_story,
    verification_url,
)
from bridge.cli.common import cli_errors, database, settings
from bridge.errors import LeadsError
from bridge.i18n import LANGUAGES
from issuer.qr import make_qr, offline_qr

app = typer.Typer(no_args_is_help=True)


def write_certificate_pdf(credential_id: str, output: Path, lang: str = "en") -> Path:
    """Render (or take from the cache) the PDF of an issued credential and write it to ``output``."""
    if lang not in LANGUAGES:
        raise LeadsError(f"no certificate wording in {lang!r}; choose one of {', '.join(LANGUAGES)}",
                         code="unknown_language")
    config = settings()
    db = database()
    row = composition.credential_service(config, db).get(credential_id)
    withheld = pdf_withheld(row, "en")
    if withheld:
        raise LeadsError(withheld, code="certificate_withheld", status=409)
    cache = pdf_cache_for(config)
    data = cache.get_or_render(credential_bytes(row.document), verify_url=verification_url(config, row.id),
                               lang=lang, story=row_story(db, row, lang))
    output.write_bytes(data)
    return output


@app.command("pdf")
@cli_errors
def pdf(
    credential_id: str = typer.Argument(..., help="The credential id (uuid or urn:uuid:…)"),
    output: Path = typer.Option(Path("certificate.pdf"), "-o", "--output", help="Where to write the PDF"),
    lang: str = typer.Option("en", "--lang", help="en | es"),
) -> None:
    """Write the printable certificate (QR code, signed credential attached) of an issued credential."""
    write_certificate_pdf(credential_id, output, lang)
    typer.echo(f"certificate of {credential_id} → {output}", err=True)


@app.command("extract")
@cli_errors
def extract(
    path: Path = typer.Argument(..., help="A certificate PDF"),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write the credential here (else print it)"),
) -> None:
    """Print the signed credential attached to a certificate PDF (then check it with ``leads verify FILE``)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LeadsError(f"{path}: cannot read ({exc.strerror})", code="file_not_found", status=404) from None
    raw = pdf_attachment(data)
    if output is None:
        typer.echo(raw.decode("utf-8"))
    else:
        output.write_bytes(raw)
        typer.echo(f"credential from {path} → {output}", err=True)


@app.command("qr")
@cli_errors
def qr(
    credential_id: str = typer.Argument(..., help="The credential id (uuid or urn:uuid:…)"),
    output: Path = typer.Option(Path("qr.svg"), "-o", "--output", help="FILE.svg or FILE.png"),
    offline: bool = typer.Option(False, "--offline", help="The offline QR carrying the credential (VC1)"),
) -> None:
    """Write the verification QR code (or the offline QR) of an issued credential as SVG or PNG."""
    config = settings()
    row = composition.credential_service(config, database()).get(credential_id)
    symbol = offline_qr(credential_value(row.document)) if offline else make_qr(verification_url(config, row.id))
    if output.suffix.lower() == ".png":
        output.write_bytes(symbol.png())
    elif output.suffix.lower() == ".svg":
        output.write_text(symbol.svg(), encoding="utf-8")
    else:
        raise LeadsError(f"{output}: write .svg or .png", code="unknown_format")
    typer.echo(f"QR (version {symbol.version}, level {symbol.level}) → {output}", err=True)
