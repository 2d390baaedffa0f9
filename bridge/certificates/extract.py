"""Turn what a person gives the /verify page (pasted text, a JSON/JWT file, a certificate PDF, an offline-QR text)
into one credential value, saying clearly what was wrong when it cannot."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Any

from bridge.certificates.view import load_credential
from bridge.errors import LeadsError
from issuer.qr import PREFIX, OfflineQrError, decode_offline

log = logging.getLogger("leads.certificates")

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 1024 * 1024
_PDF_LIMITS = {name: MAX_ATTACHMENT_BYTES for name in (
    "zlib_maximum_output_length", "lzw_maximum_output_length", "run_length_maximum_output_length",
    "jbig2_maximum_output_length", "brotli_maximum_output_length", "array_based_stream_maximum_output_length")}
_n = str  # msgids of the Spanish catalogue; the verification page translates them
ATTACHMENT_NOT_UTF8 = _n("The file attached to this PDF is not UTF-8 text, so it is not a credential. "
                         "Upload the certificate PDF as downloaded, or the credential file itself.")
ATTACHMENT_TOO_LARGE = _n("The file attached to this PDF is far larger than a credential once decompressed, so it "
                          "was not read. Upload the certificate PDF as downloaded, or the credential file itself.")
_CREDENTIAL_SUFFIXES = (".json", ".jsonld", ".jwt", ".txt")


class UnreadableCredential(LeadsError):
    def __init__(self, message: str, code: str = "credential_unreadable", params: dict[str, Any] | None = None) -> None:
        super().__init__(message, code=code, status=422, params=params or {})


@dataclass(frozen=True)
class Extracted:
    credential: dict[str, Any] | str
    source: str  # "pasted" | "file" | "pdf" | "offline-qr"
    raw: bytes


def pdf_attachment(data: bytes) -> bytes:
    """The credential file embedded in a certificate PDF (``credential.json`` / ``.jwt`` first, then any JSON).

    Every decompression is capped at MAX_ATTACHMENT_BYTES (a credential is kilobytes): a flate bomb is refused
    when the cap is reached, not after inflating it in memory."""
    # imported here: the PDF libraries cost more than a second to load, and only a PDF needs them (`leads verify`)
    from pypdf import PdfReader, apply_configuration, get_configuration
    from pypdf.errors import LimitReachedError, PyPdfError

    from bridge.certificates.pdf import ATTACHMENT_JSON, ATTACHMENT_JWS

    try:
        with apply_configuration(get_configuration().with_overwrites(**_PDF_LIMITS)):
            attachments = PdfReader(io.BytesIO(data)).attachments
            names = list(attachments.keys())
            preferred = [n for n in (ATTACHMENT_JSON, ATTACHMENT_JWS) if n in names]
            others = [n for n in names if n.lower().endswith(_CREDENTIAL_SUFFIXES) and n not in preferred]
            for name in preferred + others:
                contents = attachments[name]
                if contents and len(contents[0]) > MAX_ATTACHMENT_BYTES:
                    raise LimitReachedError("attachment above the cap")
                if contents:
                    return contents[0]
    except LimitReachedError:
        raise UnreadableCredential(ATTACHMENT_TOO_LARGE, code="pdf_attachment_too_large") from None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, AssertionError,
            RecursionError) as exc:  # pypdf on a damaged file: an /EF entry that is no stream is an AttributeError
        raise UnreadableCredential("This PDF cannot be read (%(reason)s). Upload the certificate PDF as downloaded.",
                                   code="pdf_unreadable", params={"reason": exc}) from None
    if names:
        raise UnreadableCredential("This PDF has no credential attached (its attachments: %(names)s). Certificates "
                                   "from LEADS carry the signed credential as credential.json; for other PDFs, upload "
                                   "the credential file itself.", code="pdf_without_credential",
                                   params={"names": ", ".join(names)})
    raise UnreadableCredential("This PDF has no credential attached. Certificates from LEADS carry the signed "
                               "credential as credential.json; for other PDFs, upload the credential file itself.",
                               code="pdf_without_credential")


# PNG, JPEG, GIF, WebP (RIFF…WEBP), HEIC/HEIF (…ftypheic): a photo or screenshot, not a credential file
IMAGE_SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF", b"\x00\x00\x00\x18ftyp", b"\x00\x00\x00\x1cftyp")
IMAGE_UPLOADED = _n("This is a picture, not a credential file. To check a certificate from a photo of its QR code, use "
                  "“Scan the QR code” on this page; or upload the certificate PDF or the credential file.")

NOTHING = _n("Paste a credential, choose its file or scan its QR code, then press “Verify”.")


def extract(text: str | None, upload: bytes | None, filename: str | None = None) -> Extracted:
    """One credential from the form: the uploaded file wins over the text box when both are given."""
    if upload:
        if len(upload) > MAX_UPLOAD_BYTES:
            raise UnreadableCredential("The file is larger than 10 MB; a credential or certificate PDF is far smaller.",
                                       code="upload_too_large")
        if upload.startswith(IMAGE_SIGNATURES) or upload[8:12] == b"WEBP":
            raise UnreadableCredential(IMAGE_UPLOADED, code="image_uploaded")
        if upload.lstrip()[:5] == b"%PDF-":
            raw = pdf_attachment(upload)
            try:
                raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise UnreadableCredential(ATTACHMENT_NOT_UTF8, code="pdf_attachment_not_utf8") from None
            return Extracted(load_credential(raw), "pdf", raw)
        try:
            text_value = upload.decode("utf-8-sig")
        except UnicodeDecodeError:
            if filename:
                raise UnreadableCredential("%(file)s is neither a PDF nor a text (JSON or JWT) file.",
                                           params={"file": filename}) from None
            raise UnreadableCredential("The file is neither a PDF nor a text (JSON or JWT) file.") from None
        return _from_text(text_value, "file", upload)
    if text and text.strip():
        return _from_text(text, "pasted", text.encode("utf-8"))
    raise UnreadableCredential(NOTHING, code="nothing_to_verify")


def _from_text(text: str, source: str, raw: bytes) -> Extracted:
    stripped = text.strip()
    if stripped.upper().startswith(PREFIX):
        try:
            value = decode_offline(stripped)
        except OfflineQrError as exc:
            raise UnreadableCredential("The offline QR code text cannot be read: %(reason)s",
                                       code="offline_qr_invalid", params={"reason": exc.message}) from None
        return Extracted(value, "offline-qr", raw)
    return Extracted(load_credential(stripped), source, raw)
