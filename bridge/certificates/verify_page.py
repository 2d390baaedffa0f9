"""Routes for people: ``/verify`` (camera, paste, upload — works without JavaScript), and the certificate's PDF and
QR downloads under ``/credentials/{id}/``. Every route here blocks (verification, rendering) so each is a plain
``def`` and runs in the threadpool."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from bridge.certificates.checks import _n, explain, failed_report
from bridge.certificates.extract import MAX_UPLOAD_BYTES, extract
from bridge.certificates.page import (
    certificate_page,
    credential_bytes,
    credential_value,
    pdf_cache,
    pdf_withheld,
    row_story,
    verification_url,
)
from bridge.certificates.view import certificate_view
from bridge.credentials.api import DOCUMENT_MAX_AGE, CredentialService, Verifier, verifier
from bridge.credentials.api import credential_service as service
from bridge.errors import LeadsError
from bridge.i18n import environment, gettext_for, request_lang
from bridge.web.bounds import TOO_DEEP
from bridge.web.errors import said
from bridge.web.negotiate import accept_quality
from bridge.web.openapi import answers
from issuer.errors import IssuerError
from issuer.jsonbound import MAX_DEPTH
from issuer.qr import QrSymbol, QrTooLarge, make_qr, offline_qr

router = APIRouter(tags=["certificates"])
JSONLD = "application/ld+json"

SOURCES = {
    "pasted": _n("Pasted text"),
    "file": _n("Uploaded file"),
    "pdf": _n("The credential attached to the uploaded PDF"),
    "offline-qr": _n("The offline QR code (the credential itself)"),
}

# the credential's own URL first: it is the most requested, and the router tries routes in order
MACHINE_TYPES = ("application/json", JSONLD, "application/vc+jwt", "application/vc+ld+json", "application/vc")


def _wants_html(request: Request) -> bool:
    """The credential's own URL serves people and machines: HTML only when asked for (``?format=html`` or
    Accept preferring text/html); JSON-LD otherwise."""
    accept = request.headers.get("accept", "")
    fmt = request.query_params.get("format")
    if fmt in ("json", "jsonld"):
        return False
    return fmt == "html" or accept_quality(accept, ("text/html",)) > accept_quality(accept, MACHINE_TYPES)


@router.get("/credentials/{credential_id}", summary="A credential: JSON-LD (or a VC-JOSE JWT), HTML when asked",
            tags=["credentials"], responses=answers(JSONLD, "application/vc+jwt", "application/json", "text/html"))
async def get_credential(credential_id: str, request: Request) -> Response:
    """Async: a stored credential never changes, so its bytes come from the process's bounded cache without a
    thread after the first read (strong ETag; ``Vary: Accept``, since the same URL serves the HTML page)."""
    svc = service(request)
    if _wants_html(request):
        return await run_in_threadpool(_html, request, svc, credential_id)
    served = svc.documents.get(credential_id.removeprefix("urn:uuid:"))
    if served is None:
        served = await run_in_threadpool(svc.served_document, credential_id)
    return served.response(request.headers.get("if-none-match", ""), CREDENTIAL_CACHE)


CREDENTIAL_CACHE = {"Cache-Control": f"public, max-age={DOCUMENT_MAX_AGE}", "Vary": "Accept"}


def _html(request: Request, svc: CredentialService, credential_id: str) -> Response:
    return certificate_page(request, svc.get(credential_id), verifier(request))


# input that never was a credential: its own headline instead of the verdict of a failed check
PROBLEMS = {
    "nothing_to_verify": _n("Nothing to verify yet"),
    "image_uploaded": _n("This is a picture, not a credential"),
}


def _page(lang: str, status: int = 200, **context: object) -> HTMLResponse:
    html = environment(lang).get_template("certificates/verify.html").render(lang=lang, **context)
    return HTMLResponse(html, status_code=status, headers={"Content-Language": lang, "Vary": "Accept-Language"})


@router.get("/verify", response_class=HTMLResponse, summary="Verification page for people (no account needed)")
def verify_form(request: Request) -> HTMLResponse:
    return _page(request_lang(request))


@router.post("/verify", response_class=HTMLResponse, summary="Verify a pasted or uploaded credential or PDF")
def verify_submit(
    request: Request,
    credential: Annotated[str | None, Form()] = None,
    file: Annotated[UploadFile | None, File()] = None,
    check: Verifier = Depends(verifier),
) -> HTMLResponse:
    lang = request_lang(request)
    _ = gettext_for(lang).gettext
    # read one byte past the limit so extract() can refuse an oversized upload without reading all of it
    upload = file.file.read(MAX_UPLOAD_BYTES + 1) if file is not None and file.filename else None
    try:
        found = extract(credential, upload, file.filename if file is not None else None)
    except (LeadsError, IssuerError) as exc:  # not JSON, a PDF without credential, JSON nested too deep …
        message = _(TOO_DEEP) % {"limit": MAX_DEPTH} if exc.code == "json_too_deep" else said(exc, _)
        if exc.code in PROBLEMS:  # nothing was sent, or a picture: say so, not "altered"
            return _page(lang, exc.status, problem={"title": _(PROBLEMS[exc.code]), "message": message})
        worded = lang if lang == "en" or message != exc.message else "en"  # English where no catalogue knows it
        plain = explain(failed_report("format", message), lang, details_in=worded)
        return _page(lang, exc.status, report=plain, view=None, source=None)
    report = check.verify(found.credential)
    try:
        view = certificate_view(found.credential, lang)
    except LeadsError:
        view = None
    return _page(lang, 200, report=explain(report, lang), view=view, source=_(SOURCES[found.source]))


@router.get("/credentials/{credential_id}/certificate", response_class=HTMLResponse,
            summary="The certificate page for people (also served as the HTML of /credentials/{id})")
def certificate_html(credential_id: str, request: Request, svc: CredentialService = Depends(service),
                     check: Verifier = Depends(verifier)) -> HTMLResponse:
    return certificate_page(request, svc.get(credential_id), check)


@router.get("/credentials/{credential_id}/download", summary="The signed credential as a file (JSON-LD or JWT)",
            response_class=Response, responses=answers("application/ld+json", "application/vc+jwt"))
def credential_download(credential_id: str, svc: CredentialService = Depends(service)) -> Response:
    """The same bytes as ``GET /credentials/{id}`` and the PDF attachment, as a download whatever the browser asks."""
    row = svc.get(credential_id)
    jwt = isinstance(credential_value(row.document), str)
    name = f"credential-{row.id}.{'jwt' if jwt else 'json'}"
    return Response(credential_bytes(row.document), media_type="application/vc+jwt" if jwt else "application/ld+json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/credentials/{credential_id}/certificate.pdf", summary="The printable certificate (PDF, cached)",
            response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
def certificate_pdf(credential_id: str, request: Request, svc: CredentialService = Depends(service)) -> Response:
    row = svc.get(credential_id)
    lang = request_lang(request)
    withheld = pdf_withheld(row, lang)
    if withheld:  # a printout cannot show that it was withdrawn: say why instead (410 final, 409 while suspended)
        html = environment(lang).get_template("certificates/withheld.html").render(
            lang=lang, reason=withheld, page_url=f"/credentials/{row.id}/certificate?lang={lang}")
        return HTMLResponse(html, status_code=410 if row.revoked else 409,
                            headers={"Content-Language": lang, "Cache-Control": "no-store"})
    data = pdf_cache(request).get_or_render(
        credential_bytes(row.document), verify_url=verification_url(svc.settings, row.id), lang=lang,
        story=row_story(svc.db, row, lang))
    filename = f"certificate-{row.id}-{lang}.pdf"
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"',
                             "Cache-Control": "private, max-age=300"})


@router.get("/credentials/{credential_id}/qr.{ext}", summary="The verification QR code (SVG or PNG, level Q)",
            response_class=Response, responses=answers("image/svg+xml", "image/png"))
def certificate_qr(credential_id: str, ext: str, svc: CredentialService = Depends(service)) -> Response:
    row = svc.get(credential_id)
    symbol = make_qr(verification_url(svc.settings, row.id))
    return _image(symbol, ext, title="Verify this credential", module_px=8)


@router.get("/credentials/{credential_id}/offline-qr.{ext}",
            summary="The offline QR code carrying the credential itself (VC1), when it is small enough",
            response_class=Response, responses=answers("image/svg+xml", "image/png"))
def certificate_offline_qr(credential_id: str, ext: str, svc: CredentialService = Depends(service)) -> Response:
    row = svc.get(credential_id)
    try:
        symbol = offline_qr(credential_value(row.document))
    except QrTooLarge as exc:
        raise LeadsError(exc.message, code=exc.code, status=404) from None
    return _image(symbol, ext, title="Offline credential", module_px=4)


def _image(symbol: QrSymbol, ext: str, *, title: str, module_px: int) -> Response:
    headers = {"Cache-Control": "public, max-age=86400"}
    if ext == "svg":
        return Response(symbol.svg(title=title), media_type="image/svg+xml", headers=headers)
    if ext == "png":
        return Response(symbol.png(module_px=module_px), media_type="image/png", headers=headers)
    raise LeadsError("no QR image format %(ext)s: use .svg or .png", code="not_found", status=404,
                     params={"ext": repr(ext)})
