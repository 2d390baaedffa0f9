"""The certificate page ``/credentials/{id}`` for people, and the shared pieces the PDF and QR routes use.

``certificate_page`` is what the credentials route calls for its HTML branch: it renders the verdict first, then
the credential as stored, links to the design in the data space and the downloads; and it pre-renders the PDF in a
background task after the response, so the download button finds it cached. A revoked or suspended credential gets
no PDF: a printed certificate cannot show that it was withdrawn, so it is not handed out.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.background import BackgroundTask

from bridge.certificates.checks import explain
from bridge.certificates.pdf import PdfCache
from bridge.certificates.view import certificate_view
from bridge.dataspace.api import CredentialDesign, EntityRepository, LearningOutcome
from bridge.db import Database
from bridge.i18n import environment, gettext_for, request_lang
from bridge.settings import Settings
from issuer.qr import make_qr
from issuer.verify import VerificationReport


class StoredCredential(Protocol):
    """What the page needs of an issued credential (``bridge.credentials.tables.IssuedCredentialRow`` fits)."""

    id: str
    design_key: str
    document: dict[str, Any]
    revoked: bool
    suspended: bool


class CredentialVerifier(Protocol):
    def verify(self, credential: dict[str, Any] | str | bytes) -> VerificationReport: ...


def credential_value(document: dict[str, Any]) -> dict[str, Any] | str:
    """The credential as published: the JWT string for VC-JOSE rows (stored as ``{"jwt": token}``), else the JSON."""
    jwt = document.get("jwt")
    return str(jwt) if isinstance(jwt, str) and len(document) == 1 else document


def credential_bytes(document: dict[str, Any]) -> bytes:
    """Exactly the bytes ``GET /credentials/{id}`` serves (Starlette's JSONResponse rendering, or the JWT)."""
    value = credential_value(document)
    return value.encode("utf-8") if isinstance(value, str) else bytes(JSONResponse(value).body)


def pdf_withheld(row: StoredCredential, lang: str) -> str | None:
    """Why the printable certificate is not offered (revoked or suspended), in ``lang``; None when it is."""
    _ = gettext_for(lang).gettext
    if row.revoked:
        return _("The printable certificate is not available: the issuer has revoked this credential.")
    if row.suspended:
        return _("The printable certificate is not available while the issuer has suspended this credential.")
    return None


def verification_url(settings: Settings, credential_id: str) -> str:
    return f"{settings.base_url.rstrip('/')}/credentials/{credential_id}"


def pdf_cache(request: Request) -> PdfCache:
    """The process's cache of rendered certificates (built once by the composition root)."""
    cache: PdfCache = request.app.state.certificate_pdfs
    return cache


def pdf_cache_for(settings: Settings) -> PdfCache:
    return PdfCache(Path(settings.data_dir) / "cache" / "certificates")


def design_outcomes(db: Database, design_key: str, lang: str) -> tuple[str, ...]:
    """The design's learning outcomes in ``lang`` from the data space (OB 3.0 credentials carry only alignments)."""
    with db.session() as session:
        repo = EntityRepository(session)
        design = repo.get(design_key)
        if not isinstance(design, CredentialDesign):
            return ()
        found = (repo.get(key) for key in design.outcomes)
        return tuple(o.label(lang) for o in found if isinstance(o, LearningOutcome))


def render_certificate_page(
    *, credential: dict[str, Any] | str, credential_id: str, verify_url: str, report: VerificationReport,
    lang: str, design_url: str | None = None, outcomes: tuple[str, ...] = (), withheld: str | None = None,
) -> str:
    view = certificate_view(credential, lang)
    if outcomes and not view.outcomes:
        view = replace(view, outcomes=outcomes)
    qr_svg = make_qr(verify_url).svg(title=_qr_title(lang))
    return environment(lang).get_template("certificates/page.html").render(
        c=view, lang=lang, report=explain(report, lang), qr_svg=qr_svg, design_url=design_url,
        json_url=f"/credentials/{credential_id}/download",
        pdf_url=None if withheld else f"/credentials/{credential_id}/certificate.pdf?lang={lang}",
        pdf_withheld=withheld,
    )


def _qr_title(lang: str) -> str:
    return gettext_for(lang).gettext("Scan to verify this certificate")


def certificate_page(request: Request, row: StoredCredential, verifier: CredentialVerifier) -> HTMLResponse:
    """The HTML branch of ``GET /credentials/{id}``. Blocking (verification): call it from a ``def`` route."""
    settings: Settings = request.app.state.settings
    lang = request_lang(request)
    credential = credential_value(row.document)
    url = verification_url(settings, row.id)
    outcomes = design_outcomes(request.app.state.db, row.design_key, lang) if row.design_key else ()
    withheld = pdf_withheld(row, lang)
    html = render_certificate_page(
        credential=credential, credential_id=row.id, verify_url=url, report=verifier.verify(credential),
        lang=lang, design_url=f"/designs/{row.design_key}?lang={lang}" if row.design_key else None,
        outcomes=outcomes, withheld=withheld,
    )
    headers = {"Content-Language": lang, "Vary": "Accept, Accept-Language"}
    if withheld:
        return HTMLResponse(html, headers=headers)
    warm = BackgroundTask(pdf_cache(request).warm, credential_bytes(row.document), verify_url=url, lang=lang,
                          outcomes=outcomes)
    return HTMLResponse(html, background=warm, headers=headers)
