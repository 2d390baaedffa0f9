"""People-facing pages about who issues: ``/issuers/{slug}`` (name, logo, homepage, DIDs, what it issues) and
the badge images ``/badges/{design}.svg|png``. Thin routes over ``IssuerDirectory`` and the data space."""

from __future__ import annotations

import mimetypes

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from bridge.certificates.badges import badge_png, badge_svg, badge_text, designed_badge
from bridge.certificates.pdf import design_image, load_layout
from bridge.credentials.api import CredentialService
from bridge.credentials.api import credential_service as service
from bridge.dataspace.api import CredentialDesign, current_index, is_key
from bridge.errors import NotFound
from bridge.i18n import environment, gettext_for, request_lang
from bridge.web.openapi import answers

router = APIRouter(tags=["certificates"])
_CACHE = {"Cache-Control": "public, max-age=3600"}


@router.get("/issuers/{slug}", response_class=HTMLResponse, summary="Who issues: an issuing organisation's page")
def issuer_page(slug: str, request: Request, svc: CredentialService = Depends(service)) -> HTMLResponse:
    lang = request_lang(request)
    org = svc.directory.get(slug)
    designs = current_index(svc.db).all(CredentialDesign)
    if not org.root:  # the installation lists every design; an organisation those it has issued (index probes)
        issued = svc.designs_issued(org.slug, [d.key for d in designs])
        designs = [d for d in designs if d.key in issued]
    did = svc.directory.did(org)
    html = environment(lang).get_template("certificates/issuer.html").render(
        lang=lang, org=org, name=org.names.get(lang) or org.names.get("en") or org.slug,
        description=org.description.get(lang) or org.description.get("en", ""),
        homepage=org.url or svc.settings.base_url, did=did,
        did_document="/.well-known/did.json" if org.root else f"/issuers/{org.slug}/did.json",
        logo=f"/issuers/{org.slug}/logo" if design_image(load_layout(), "logo", "file") else None,
        designs=[{"key": d.key, "title": d.label(lang), "description": d.description(lang), "stack": d.is_stack,
                  "ects": d.ects, "eqf": d.eqf_level} for d in designs],
    )
    return HTMLResponse(html, headers={"Content-Language": lang})


@router.get("/issuers/{slug}/logo", summary="The issuer's logo (from the certificate design folder)",
            response_class=Response, responses=answers("image/svg+xml", "image/png"))
def issuer_logo(slug: str, svc: CredentialService = Depends(service)) -> Response:
    svc.directory.get(slug)
    path = design_image(load_layout(), "logo", "file")
    if path is None:
        raise NotFound("this installation has no logo in its certificate design", code="logo_not_found")
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Response(path.read_bytes(), media_type=media, headers=_CACHE)


@router.get("/badges/{key}.{ext}", summary="The badge image of a credential design (SVG or PNG)",
            response_class=Response, responses=answers("image/svg+xml", "image/png"))
def badge(key: str, ext: str, request: Request, svc: CredentialService = Depends(service)) -> Response:
    if ext not in ("svg", "png"):
        raise NotFound("no badge format %(ext)s: use .svg or .png", code="not_found", params={"ext": repr(ext)})
    if not is_key(key):  # before the file name: 255 characters and more were an OSError, a 500
        raise _no_design(key[:60] + ("…" if len(key) > 60 else ""))
    media = "image/svg+xml" if ext == "svg" else "image/png"
    own = designed_badge(key, ext)
    if own is not None:
        return Response(own, media_type=media, headers=_CACHE)
    design = current_index(svc.db).get(key, CredentialDesign)
    if design is None:
        raise _no_design(key)
    lang = request_lang(request)
    _ = gettext_for(lang).gettext
    text = badge_text(design, lang, (_("Micro-credential"), _("Stacked credential")))
    return Response(badge_svg(text) if ext == "svg" else badge_png(text), media_type=media,
                    headers={**_CACHE, "Vary": "Accept-Language"})


def _no_design(key: str) -> NotFound:
    return NotFound("There is no credential design with the key '%(key)s'", code="design_not_found",
                    params={"key": key})
