"""Pool pages and JSON API (thin: parsing and rendering only; the rules live in ``service``)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Header, Query, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from bridge.certificates.api import extract
from bridge.dataspace.api import Competence, Course, CredentialDesign, Practice, current_index
from bridge.db import Database
from bridge.errors import LeadsError, NotFound
from bridge.i18n import gettext_for_request
from bridge.pool import evidence, holding, search, service
from bridge.pool.api import pool_verifier as _verifier
from bridge.pool.mapping import design_evidence
from bridge.pool.wikilogin import user_page
from bridge.web.errors import spoken
from bridge.web.negotiate import request_lang, templates, wants_json
from bridge.web.params import After, RowId, page_links
from bridge.web.text import NOT_BLANK
from issuer import jsonbound
from issuer.jsonbound import JsonTooDeep

router = APIRouter(tags=["pool"])


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _token(authorization: str | None) -> str:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise LeadsError(
            "send the profile's management token as 'Authorization: Bearer <token>'", code="unauthorized", status=401
        )
    return authorization[7:].strip()


LEVEL = re.compile(r"\s*[1-9]\s*")  # ASCII digits only: str.isdigit() also takes '²', which int() refuses


def _level(raw: str | None) -> int | None:
    """An empty select ("any") comes as ``level=``; anything else must be a level number."""
    if raw is None or not raw.strip():
        return None
    if not LEVEL.fullmatch(raw):
        raise LeadsError(
            "level must be a proficiency level number (1-5), not %(raw)s", code="invalid_level", status=422,
            params={"raw": repr(raw)})
    return int(raw)


def _catalogue(db: Database) -> tuple[list[Practice], list[Competence]]:
    index = current_index(db)
    return index.all(Practice), index.all(Competence)


@router.get("/pool")
def search_page(
    request: Request,
    competence: str | None = None,
    practice: str | None = None,
    level: Annotated[str | None, Query(json_schema_extra={"pattern": r"^\s*([1-9]\s*)?$"},
                                       description="the lowest proficiency level (1-9); empty: any")] = None,
    language: str | None = None,
    after: After = None,
) -> Response:
    min_level = _level(level)
    db = _db(request)
    language = (language or "").strip() or None
    page = search.search(db, competence=competence or None, practice=practice or None, min_level=min_level,
                         language=language, after=after or None,
                         lang="en" if wants_json(request) else request_lang(request))
    links = page_links(request, page.after)
    if wants_json(request):
        return JSONResponse(
            {
                "query": {"competence": competence, "practice": practice, "level": min_level, "language": language},
                "total": page.total,
                "total_exact": page.exact,
                "people": [asdict(h) for h in page.holders],
                "next": links["next"],
            }
        )
    practices, competences = _catalogue(db)
    return templates.TemplateResponse(
        request,
        "pool/search.html",
        {
            "holders": page.holders,
            "total": page.total,
            "exact": page.exact,
            "links": links,
            "practices": practices,
            "competences": competences,
            "q": {
                "competence": competence or "",
                "practice": practice or "",
                "level": min_level,
                "language": language or "",
            },
            # the languages profiles offer, and one asked for by a link that is not among them
            "languages": [code for code, _ in search.LANGUAGE_CHOICES]
            + ([language] if language and language not in dict(search.LANGUAGE_CHOICES) else []),
            "searched": any((competence, practice, level, language)),
            "deleted": request.query_params.get("done") == "deleted",
        },
    )


@router.get("/pool/competences/{key}")
def competence_page(request: Request, key: str, after: After = None) -> Response:
    db = _db(request)
    entities = current_index(db).by_key
    comp = entities.get(key)
    if not isinstance(comp, Competence):
        raise NotFound("no competence '%(key)s' in the data space", params={"key": key})
    designs = [
        e
        for e in entities.values()
        if isinstance(e, CredentialDesign) and any(ev.competence == key for ev in design_evidence(e, entities, set()))
    ]
    design_keys = {d.key for d in designs}
    courses = [e for e in entities.values() if isinstance(e, Course) and e.design in design_keys]
    page = search.search(db, competence=key, after=after or None,
                         lang="en" if wants_json(request) else request_lang(request))
    links = page_links(request, page.after)
    data = {
        "competence": comp.model_dump(mode="json"),
        "total": page.total,
        "total_exact": page.exact,
        "people": [asdict(h) for h in page.holders],
        "next": links["next"],
        "credential_designs": [d.key for d in designs],
        "courses": [{"key": c.key, "url": c.url} for c in courses],
    }
    if wants_json(request):
        return JSONResponse(data)
    return templates.TemplateResponse(
        request,
        "pool/competence.html",
        {"competence": comp, "holders": page.holders, "total": page.total, "exact": page.exact, "links": links,
         "designs": designs, "courses": courses},
    )


@router.get("/pool/people/{handle}")
def profile_page(request: Request, handle: str) -> Response:
    if wants_json(request):
        return JSONResponse(service.profile_view(_db(request), handle))  # no delete_after: see profile_response
    return profile_response(request, handle)


def profile_response(request: Request, handle: str, status: int = 200, **extra: Any) -> Response:
    """The profile page; ``?done=published|unpublished`` says what just happened, and a failed unpublish says why.

    Anyone reads it, so it never names the day an empty profile goes: a profile whose every entry is hidden
    (suspended, an issuer no longer trusted) is not empty and has no such day, and the difference would tell anyone
    what the hidden evidence page keeps quiet. It says that profiles showing nothing go after a while; the owner's
    own views (My certificates, the course's page) name the day."""
    settings = request.app.state.settings
    view = service.profile_view(_db(request), handle, lang=request_lang(request))
    done = request.query_params.get("done")
    published = request.query_params.get("entry")
    wiki_page = user_page(settings, view["wiki_username"]) if view["wiki_username"] else None
    return templates.TemplateResponse(request, "pool/profile.html", {
        "p": view, "wiki_page": wiki_page, "_": gettext_for_request(request),
        "done": done if done in ("published", "unpublished") else None,
        "published_entry": int(published) if published and re.fullmatch(r"[0-9]{1,18}", published) else None,
        "unpublish_error": None, "unpublish_entry": None, "delete_error": None,
        "empty_goes": settings.pool_keep_empty is not None, **extra}, status_code=status,
        headers={"Cache-Control": "no-store"})


@router.get("/pool/people/{handle}/capx.json")
def capx(request: Request, handle: str) -> dict[str, Any]:
    return evidence.capx_export(_db(request), handle, request.app.state.settings.base_url)


class ProfileIn(BaseModel):
    # the rules service.create_profile checks, stated in the schema
    handle: str = Field(json_schema_extra={"pattern": service.HANDLE.pattern})
    display_name: str = Field(json_schema_extra={"pattern": NOT_BLANK, "maxLength": service.DISPLAY_NAME_LENGTH})
    wiki_username: str | None = Field(
        default=None, description="refused: a wiki username is set only by signing in with Wikimedia "
        "(POST /api/pool/profiles/{handle}/wiki-login)")
    languages: list[str] = Field(default_factory=list)
    contact: str | None = Field(default=None, description="a public link (wiki talk page…); e-mail is never shown")


@router.post("/api/pool/profiles", status_code=201)
def create_profile(request: Request, body: ProfileIn) -> dict[str, Any]:
    if body.wiki_username is not None:
        raise LeadsError(service.WIKI_USERNAME_TYPED.format(handle=body.handle), code="wiki_username_needs_login",
                         status=422)
    profile, token = service.create_profile(_db(request), **body.model_dump(exclude={"wiki_username"}))
    return {
        "handle": profile.handle,
        "token": token,
        "note": "keep this token: it is shown once and is needed to publish or unpublish",
        "wiki_login": f"/pool/people/{profile.handle}/wiki-login",
    }


class PublishIn(BaseModel):
    presentation: dict[str, Any] | str | None = Field(
        default=None, description="a Verifiable Presentation (Data Integrity object or VP-JWT) holding one "
        "credential, signed by its subject DID over a challenge from POST /api/pool/challenges and this site's domain")
    credential: dict[str, Any] | str | None = Field(
        default=None, description="refused on its own: the pool needs proof that you hold it (send 'presentation')")


def _now(request: Request) -> datetime:
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else datetime.now(UTC)


@router.post("/api/pool/challenges", status_code=201, summary="A single-use challenge for a holder's presentation")
def new_challenge(request: Request) -> dict[str, Any]:
    return holding.challenge(request.app.state.settings, _now(request))


@router.post("/api/pool/profiles/{handle}/credentials", status_code=201)
def publish(
    request: Request, handle: str, body: PublishIn, authorization: Annotated[str | None, Header()] = None
) -> dict[str, Any]:
    token = _token(authorization)
    if body.presentation is None:
        service.check_token(_db(request), handle, token)
        raise holding.refuse_bare(body.credential)
    entry = holding.publish_presented(_db(request), _verifier(request), request.app.state.settings, handle=handle,
                                      token=token, presentation=body.presentation, now=_now(request))
    return {"id": entry.id, "title": entry.title, "competences": [c.competence_key for c in entry.competences],
            "holder_proof": entry.holder_proof, "holder": entry.holder_did}


@router.delete("/api/pool/profiles/{handle}", status_code=204,
               summary="Delete the profile and everything published on it, for good")
def delete_profile(request: Request, handle: str, authorization: Annotated[str | None, Header()] = None) -> Response:
    service.delete_profile(_db(request), handle=handle, token=_token(authorization))
    return Response(status_code=204)


@router.delete("/api/pool/profiles/{handle}/credentials/{entry_id}", status_code=204)
def unpublish(
    request: Request, handle: str, entry_id: RowId, authorization: Annotated[str | None, Header()] = None
) -> Response:
    service.unpublish(_db(request), handle=handle, token=_token(authorization), entry_id=entry_id)
    return Response(status_code=204)


def _form(request: Request, status: int = 200, **extra: Any) -> Response:
    issued = holding.challenge(request.app.state.settings, _now(request))
    return templates.TemplateResponse(request, "pool/publish.html", {
        "error": None, "code": None, "from_pdf": False,
        "form": {"handle": request.query_params.get("handle", ""), "token": "", "text": ""},
        **extra, "challenge": issued["challenge"], "domain": issued["domain"],
        "_": gettext_for_request(request)}, status_code=status, headers={"Cache-Control": "no-store"})


@router.get("/pool/publish")
def publish_form(request: Request) -> Response:
    return _form(request)


@router.post("/pool/publish")
def publish_form_post(
    request: Request,
    handle: Annotated[str, Form()],
    token: Annotated[str, Form()],
    presentation_text: Annotated[str, Form()] = "",
    presentation_file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    form = {"handle": handle.strip(), "token": token.strip(), "text": presentation_text}
    from_pdf = presentation_file is not None and (presentation_file.filename or "").lower().endswith(".pdf")
    try:
        presentation = _presented(presentation_text, presentation_file)
        if isinstance(presentation, dict) and "VerifiablePresentation" not in str(presentation.get("type")):
            service.check_token(_db(request), form["handle"], form["token"])
            raise holding.refuse_bare(presentation)  # a bare credential proves nothing about who sends it
        entry = holding.publish_presented(_db(request), _verifier(request), request.app.state.settings,
                                          handle=form["handle"], token=form["token"], presentation=presentation,
                                          now=_now(request))
    except json.JSONDecodeError as exc:
        bad = LeadsError("the presentation is not valid JSON (%(msg)s, line %(lineno)s)", code="invalid_json",
                         status=422, params={"msg": exc.msg, "lineno": exc.lineno})
        return _form(request, 422, error=spoken(bad, request_lang(request)), code=bad.code, form=form)
    except JsonTooDeep as exc:
        return _form(request, 400, error=exc.message, code="json_too_deep", form=form)
    except LeadsError as exc:
        return _form(request, exc.status, error=spoken(exc, request_lang(request)), code=exc.code,
                     checks=exc.extra.get("checks"), form=form, from_pdf=from_pdf)
    lang = request.query_params.get("lang")
    suffix = f"&lang={lang}" if lang in ("en", "es") else ""
    return RedirectResponse(f"/pool/people/{form['handle']}?done=published&entry={entry.id}{suffix}",
                            status_code=303)


def _presented(text: str, upload: UploadFile | None) -> dict[str, Any] | str:
    """What the form carries: a pasted or uploaded presentation, or a certificate PDF read as /verify reads it
    (its attached credential or presentation; a bare credential is then refused by the holder-proof rule)."""
    data = upload.file.read() if upload is not None and upload.filename else b""
    if data.lstrip()[:5] == b"%PDF-":
        return extract(None, data, upload.filename if upload else None).credential
    raw = (data.decode("utf-8", "replace") if data else text).strip()
    presentation: dict[str, Any] | str = jsonbound.loads(raw) if raw.startswith("{") else raw
    if not presentation:
        raise LeadsError("paste the presentation or choose its file", code="empty_presentation", status=422)
    return presentation
