"""The certificates domain's door: rendering the printable certificate and its cache, for the award worker and the
composition root."""

from __future__ import annotations

from bridge.certificates.extract import MAX_UPLOAD_BYTES, extract
from bridge.certificates.page import credential_bytes, design_outcomes, pdf_cache_for, verification_url
from bridge.certificates.pdf import PdfCache

__all__ = [
           "MAX_UPLOAD_BYTES",
           "PdfCache",
           "credential_bytes",
           "design_outcomes",
           "extract",
           "pdf_cache_for",
           "verification_url",
]
