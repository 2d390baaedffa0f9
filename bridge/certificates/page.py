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
from bridge.certificates.share import linkedin_add_url, share_links
from bridge.certificates.story import Story, design_story, with_story
from bridge.certificates.view import CertificateView, certificate_view
from bridge.dataspace.api import CredentialDesign, EntityRepository, LearningOutcome
from bridge.db import Database
from bridge.i18n import environment, gettext_for, request_lang
from bridge.settings import Settings
from bridge.trust.api import IssuerDirectory
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


def withdrawn_state(row: StoredCredential) -> str | None:
    """``revoked`` or ``suspended`` when the issuer withdrew the credential; None when it stands."""
    return "revoked" if row.revoked else "suspended" if row.suspended else None


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
    return PdfCache(Path(settings.data_dir) / "cache" / "certificates", max_bytes=settings.certificate_cache_mb * 2**20)


def design_outcomes(db: Database, design_key: str, lang: str) -> tuple[str, ...]:
    """The design's learning outcomes in ``lang`` from the data space (OB 3.0 credentials carry only alignments)."""
    with db.session() as session:
        repo = EntityRepository(session)
        design = repo.get(design_key)
        if not isinstance(design, CredentialDesign):
            return ()
        found = (repo.get(key) for key in design.outcomes)
        return tuple(o.label(lang) for o in found if isinstance(o, LearningOutcome))


def row_story(db: Database, row: StoredCredential, lang: str) -> Story | None:
    """The data space's story of the row's design in ``lang`` (None for rows without a known design)."""
    if not row.design_key:
        return None
    return design_story(db, row.design_key, lang, learner_id=getattr(row, "learner_id", None))


def download_label(view: CertificateView, credential: dict[str, Any] | str, lang: str) -> str:
    """What the download really is: a VC-JOSE JWT, an ELM EDC (JSON-LD) or an Open Badge (JSON-LD)."""
    _ = gettext_for(lang).gettext
    if isinstance(credential, str):
        return _("Signed credential (VC-JOSE, JWT)")
    if view.format == "edc":
        return _("European Digital Credential (JSON-LD)")
    return _("Open Badge 3.0 credential (JSON-LD)")


def render_certificate_page(
    *, credential: dict[str, Any] | str, credential_id: str, verify_url: str, report: VerificationReport,
    lang: str, settings: Settings, design_url: str | None = None, story: Story | None = None,
    withheld: str | None = None, issuer_page: str | None = None, issuer_name: str | None = None,
    withdrawn: str | None = None,
) -> str:
    """``withdrawn`` (``revoked`` | ``suspended``): no LinkedIn or share buttons, and the link preview (og:title,
    og:description) says so — a preview of "<name> earned …" would outlive the withdrawal in every feed."""
    view = with_story(certificate_view(credential, lang), story)
    if issuer_name:  # our own issuer: its name in the reader's language
        view = replace(view, issuer_name=issuer_name)
    qr_svg = make_qr(verify_url).svg(title=_qr_title(lang))
    base = settings.base_url.rstrip("/")
    design_key = story.design_key if story else view.design_key
    badge = f"/badges/{design_key}" if design_key else None
    summary = gettext_for(lang).gettext("%(learner)s earned %(title)s") % {"learner": view.learner,
                                                                           "title": view.title}
    title, described = _preview(view.title, view.learner, summary, withdrawn, lang)
    return environment(lang).get_template("certificates/page.html").render(
        c=view, lang=lang, report=explain(report, lang), qr_svg=qr_svg, design_url=design_url, story=story,
        json_url=f"/credentials/{credential_id}/download", json_label=download_label(view, credential, lang),
        pdf_url=None if withheld else f"/credentials/{credential_id}/certificate.pdf?lang={lang}",
        pdf_withheld=withheld, issuer_page=issuer_page, badge_url=badge,
        share=[] if withdrawn else share_links(verify_url, summary), share_url=verify_url,
        linkedin=None if withdrawn else linkedin_add_url(
            settings, name=view.title, organization=view.issuer_name, issued=view.issued, url=verify_url,
            credential_id=credential_id, expires=view.valid_until),
        og={"title": title, "description": described + (f" · {view.issuer_name}" if view.issuer_name else ""),
            "url": verify_url, "image": f"{base}{badge}.png?lang={lang}" if badge else None,
            "locale": _OG_LOCALES[lang]},
    )


_OG_LOCALES = {"en": "en_GB", "es": "es_ES"}


def _preview(title: str, learner: str, summary: str, withdrawn: str | None, lang: str) -> tuple[str, str]:
    """The link preview's title and description: a withdrawn credential says so in both."""
    _ = gettext_for(lang).gettext
    words = {"title": title, "learner": learner}
    if withdrawn == "revoked":
        return (_("Revoked: %(title)s · %(learner)s") % words,
                _("%(learner)s earned %(title)s; the issuer has since revoked it") % words)
    if withdrawn == "suspended":
        return (_("Suspended: %(title)s · %(learner)s") % words,
                _("%(learner)s earned %(title)s; the issuer has suspended it for now") % words)
    return f"{title} · {learner}", summary


def _qr_title(lang: str) -> str:
    return gettext_for(lang).gettext("Scan to verify this certificate")


def certificate_page(request: Request, row: StoredCredential, verifier: CredentialVerifier) -> HTMLResponse:
    """The HTML branch of ``GET /credentials/{id}``. Blocking (verification): call it from a ``def`` route."""
    settings: Settings = request.app.state.settings
    lang = request_lang(request)
    credential = credential_value(row.document)
    url = verification_url(settings, row.id)
    story = row_story(request.app.state.db, row, lang)
    withheld = pdf_withheld(row, lang)
    withdrawn = withdrawn_state(row)
    slug = getattr(row, "issuer_slug", None)
    org = IssuerDirectory(settings).orgs.get(slug) if slug else None
    html = render_certificate_page(
        credential=credential, credential_id=row.id, verify_url=url, report=verifier.verify(credential),
        lang=lang, settings=settings, story=story, withheld=withheld, withdrawn=withdrawn,
        design_url=f"/designs/{row.design_key}?lang={lang}" if row.design_key else None,
        issuer_page=f"/issuers/{slug}?lang={lang}" if org else None,
        issuer_name=(org.names.get(lang) or org.names.get("en")) if org else None,
    )
    headers = {"Content-Language": lang, "Vary": "Accept, Accept-Language"}
    if withheld:
        return HTMLResponse(html, headers=headers)
    warm = BackgroundTask(pdf_cache(request).warm, credential_bytes(row.document), verify_url=url, lang=lang,
                          story=story)
    return HTMLResponse(html, background=warm, headers=headers)
