"""Turn what a person gives the /verify page (pasted text, a JSON/JWT file, a certificate PDF, an offline-QR text)
into one credential value, saying clearly what was wrong when it cannot."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from bridge.certificates.pdf import ATTACHMENT_JSON, ATTACHMENT_JWS
from bridge.certificates.view import load_credential
from bridge.errors import LeadsError
from issuer.qr import PREFIX, OfflineQrError, decode_offline

log = logging.getLogger("leads.certificates")

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
_CREDENTIAL_SUFFIXES = (".json", ".jsonld", ".jwt", ".txt")


class UnreadableCredential(LeadsError):
    def __init__(self, message: str, code: str = "credential_unreadable") -> None:
        super().__init__(message, code=code, status=422)


@dataclass(frozen=True)
class Extracted:
    credential: dict[str, Any] | str
    source: str  # "pasted" | "file" | "pdf" | "offline-qr"
    raw: bytes


def pdf_attachment(data: bytes) -> bytes:
    """The credential file embedded in a certificate PDF (``credential.json`` / ``.jwt`` first, then any JSON)."""
    try:
        attachments = PdfReader(io.BytesIO(data)).attachments
        names = list(attachments.keys())
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise UnreadableCredential(f"This PDF cannot be read ({exc}). Upload the certificate PDF as downloaded.",
                                   code="pdf_unreadable") from None
    preferred = [n for n in (ATTACHMENT_JSON, ATTACHMENT_JWS) if n in names]
    others = [n for n in names if n.lower().endswith(_CREDENTIAL_SUFFIXES) and n not in preferred]
    for name in preferred + others:
        contents = attachments[name]
        if contents:
            return contents[0]
    raise UnreadableCredential(
        "This PDF has no credential attached" + (f" (its attachments: {', '.join(names)})" if names else "")
        + ". Certificates from LEADS carry the signed credential as credential.json; "
        "for other PDFs, upload the credential file itself.", code="pdf_without_credential")


def extract(text: str | None, upload: bytes | None, filename: str | None = None) -> Extracted:
    """One credential from the form: the uploaded file wins over the text box when both are given."""
    if upload:
        if len(upload) > MAX_UPLOAD_BYTES:
            raise UnreadableCredential("The file is larger than 10 MB; a credential or certificate PDF is far smaller.",
                                       code="upload_too_large")
        if upload.lstrip()[:5] == b"%PDF-":
            raw = pdf_attachment(upload)
            return Extracted(load_credential(raw), "pdf", raw)
        try:
            text_value = upload.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UnreadableCredential(
                f"{filename or 'The file'} is neither a PDF nor a text (JSON or JWT) file.") from None
        return _from_text(text_value, "file", upload)
    if text and text.strip():
        return _from_text(text, "pasted", text.encode("utf-8"))
    raise UnreadableCredential("Nothing to verify: paste a credential or choose a file.", code="nothing_to_verify")


def _from_text(text: str, source: str, raw: bytes) -> Extracted:
    stripped = text.strip()
    if stripped.upper().startswith(PREFIX):
        try:
            value = decode_offline(stripped)
        except OfflineQrError as exc:
            raise UnreadableCredential(f"The offline QR code text cannot be read: {exc.message}",
                                       code="offline_qr_invalid") from None
        return Extracted(value, "offline-qr", raw)
    return Extracted(load_credential(stripped), source, raw)
