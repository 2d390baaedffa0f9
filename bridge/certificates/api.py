"""The certificates domain's door: rendering the printable certificate and its cache, for the award worker and the
composition root."""

from __future__ import annotations

from bridge.certificates.page import credential_bytes, design_outcomes, pdf_cache_for, verification_url
from bridge.certificates.pdf import PdfCache

__all__ = ["PdfCache", "credential_bytes", "design_outcomes", "pdf_cache_for", "verification_url"]
