"""The certificates domain's door: rendering the printable certificate and its cache, reading a credential out of an
uploaded certificate, and the sharing links; for the award worker, the pool, the editor and the composition root."""

from __future__ import annotations

from bridge.certificates.checks import plain_checks
from bridge.certificates.extract import MAX_UPLOAD_BYTES, extract
from bridge.certificates.page import credential_bytes, design_outcomes, pdf_cache_for, row_story, verification_url
from bridge.certificates.pdf import PdfCache
from bridge.certificates.share import linkedin_add_url

__all__ = ["MAX_UPLOAD_BYTES", "PdfCache", "credential_bytes", "design_outcomes", "extract", "linkedin_add_url",
           "pdf_cache_for", "plain_checks", "row_story", "verification_url"]
