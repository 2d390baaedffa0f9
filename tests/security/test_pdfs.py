"""Bad certificate PDFs are a 422 that says what is wrong (never a 500), on the page and in ``leads verify``, which
also reads good PDFs and offline-QR text, and never ends in a traceback."""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, EncodedStreamObject, NameObject
from typer.testing import CliRunner

from issuer.qr import encode_offline
from tests.security.conftest import Installation
from tests.security.helpers import ForeignIssuer, deep_json


def pdf_with(attachment: bytes, *, bomb: bool = False) -> bytes:
    """A one-page PDF carrying ``credential.json``; with ``bomb``, ``attachment`` is already flate-compressed."""
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_attachment("credential.json", b"placeholder")
    for index, obj in enumerate(writer._objects):
        if isinstance(obj, DecodedStreamObject) and obj.get("/Type") == "/EmbeddedFile":
            stream: DecodedStreamObject | EncodedStreamObject
            if bomb:
                stream = EncodedStreamObject()
                stream[NameObject("/Filter")] = NameObject("/FlateDecode")
                stream._data = attachment
            else:
                stream = DecodedStreamObject()
                stream.set_data(attachment)
            stream[NameObject("/Type")] = NameObject("/EmbeddedFile")
            writer._objects[index] = stream
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def flate_bomb(size: int = 200 * 1024 * 1024) -> bytes:
    """``size`` bytes of zeros, deflated (about a thousandth of that), built without holding ``size`` bytes."""
    packer = zlib.compressobj(9)
    chunk = b"\0" * (1024 * 1024)
    return b"".join(packer.compress(chunk) for _ in range(size // len(chunk))) + packer.flush()


BAD_PDFS = {
    "not-utf8": (lambda: pdf_with(b"\xff\xfe\x00\x81 not text \xc3\x28"), "not UTF-8 text"),
    "flate-bomb": (lambda: pdf_with(flate_bomb(), bomb=True), "far larger than a credential"),
    "truncated": (lambda: pdf_with(b'{"a": 1}')[:400], "cannot be read"),
}


@pytest.fixture(scope="module")
def bad_pdfs() -> dict[str, bytes]:
    return {name: make() for name, (make, _) in BAD_PDFS.items()}


@pytest.mark.parametrize("name", list(BAD_PDFS))
def test_bad_pdfs_are_a_422_saying_why(leads: Installation, bad_pdfs: dict[str, bytes], name: str) -> None:
    r = leads.client.post("/verify", files={"file": ("c.pdf", bad_pdfs[name], "application/pdf")})
    assert r.status_code == 422, r.text[:300]
    assert BAD_PDFS[name][1] in r.text


def test_bad_pdf_messages_are_in_spanish_too(leads: Installation, bad_pdfs: dict[str, bytes]) -> None:
    r = leads.client.post("/verify?lang=es", files={"file": ("c.pdf", bad_pdfs["not-utf8"], "application/pdf")})
    assert r.status_code == 422 and "no es texto UTF-8" in r.text
    r = leads.client.post("/verify?lang=es", files={"file": ("c.pdf", bad_pdfs["flate-bomb"], "application/pdf")})
    assert r.status_code == 422 and "una vez descomprimido" in r.text


def test_a_pdf_whose_attachment_is_deep_json_is_a_400(leads: Installation) -> None:
    r = leads.client.post("/verify", files={"file": ("c.pdf", pdf_with(deep_json()), "application/pdf")})
    assert r.status_code == 400


def test_a_pool_upload_of_a_bad_pdf_is_no_5xx(leads: Installation, bad_pdfs: dict[str, bytes]) -> None:
    for data in bad_pdfs.values():
        r = leads.client.post("/pool/publish", data={"handle": "h", "token": "t"},
                              files={"presentation_file": ("c.pdf", data, "application/pdf")})
        assert r.status_code < 500


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from bridge.cli import app
    from bridge.settings import get_settings

    monkeypatch.setenv("LEADS_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("LEADS_LOAD_SAMPLE", "false")
    get_settings.cache_clear()

    def run(*args: str) -> Any:
        return CliRunner().invoke(app, list(args))

    yield run
    get_settings.cache_clear()


def test_leads_verify_reads_a_pdf_and_an_offline_qr_text(cli: Any, tmp_path: Path) -> None:
    credential = ForeignIssuer().credential()
    pdf = tmp_path / "c.pdf"
    pdf.write_bytes(pdf_with(json.dumps(credential).encode()))
    # read and checked (exit 1 only because this issuer is not one LEADS trusts; 2 would mean unreadable)
    result = cli("verify", str(pdf))
    assert result.exit_code == 1, result.output
    assert "PASS  proof" in result.output and "does not know this issuer" in result.output
    qr = tmp_path / "qr.txt"
    qr.write_text(encode_offline(credential) + "\n")
    result = cli("verify", str(qr))
    assert result.exit_code == 1, result.output
    assert "PASS  proof" in result.output and "does not know this issuer" in result.output


@pytest.mark.parametrize("name", list(BAD_PDFS))
def test_leads_verify_on_a_bad_pdf_says_why_without_a_traceback(cli: Any, tmp_path: Path,
                                                                 bad_pdfs: dict[str, bytes], name: str) -> None:
    path = tmp_path / "c.pdf"
    path.write_bytes(bad_pdfs[name])
    result = cli("verify", str(path))
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit)  # handled, not an exception escaping
    assert BAD_PDFS[name][1] in result.output and "Traceback" not in result.output


def test_leads_verify_on_deep_json_and_binary_files(cli: Any, tmp_path: Path) -> None:
    deep, binary = tmp_path / "deep.json", tmp_path / "x.bin"
    deep.write_bytes(deep_json())
    binary.write_bytes(b"\x00\xff\xfe garbage \x81")
    for path in (deep, binary):
        result = cli("verify", str(path))
        assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
