"""Cat's map pages: ``/map`` (paste or upload credentials, no account, nothing stored), ``/map/s/{id}`` (a map she
chose to share: the map only, never her credentials) and ``/map/launch/{id}`` (inside her course, from the
certificates LEADS issued to her). Plain ``def`` routes: verification and the database block."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import delete

from bridge.awards.api import awards_of, who_for_launch
from bridge.certificates.api import MAX_UPLOAD_BYTES, extract
from bridge.credentials.api import CredentialService, Verifier, credential_service, verifier
from bridge.dataspace.api import Competence, EntityBase, Practice, ui
from bridge.db import Database
from bridge.db.base import aware
from bridge.editor import learner, service
from bridge.editor.tables import SharedMap
from bridge.errors import LeadsError, NotFound
from bridge.i18n import translations
from bridge.settings import Settings
from bridge.web.clients import scope_client_key
from bridge.web.errors import said
from bridge.web.gate import charge_more
from bridge.web.negotiate import request_lang, templates, wants_json
from issuer.errors import IssuerError

router = APIRouter(tags=["learner map"])


_n = str  # marks a msgid for extraction
TOO_MANY_SHARES = _n("Too many shared maps from your address: try again in %(minutes)s minutes.")


class TooManyShares(LeadsError):
    def __init__(self, minutes: int) -> None:
        super().__init__(TOO_MANY_SHARES, code="too_many_shares", status=429, params={"minutes": minutes})
        self.headers = {"Retry-After": str(minutes * 60)}
MAX_CREDENTIALS = 20


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _lang(request: Request) -> str:
    """``?lang=``, then the language the person chose earlier (its cookie: forms post without ``?lang=``)."""
    return request_lang(request)


def _practices(known: dict[str, EntityBase], lang: str) -> list[tuple[str, str]]:
    return sorted(((e.key, e.label(lang)) for e in known.values() if isinstance(e, Practice)),
                  key=lambda kv: kv[1].lower())


def _render(request: Request, status: int = 200, **context: Any) -> Response:
    lang = _lang(request)
    if wants_json(request) and "map" in context:
        return JSONResponse(context["map"], status_code=status)
    known = service.known(_db(request))
    base = {"lang": lang, "ui": ui(lang), "_": translations(lang).gettext, "practices": _practices(known, lang),
            "qs": f"?lang={lang}" if request.query_params.get("lang") else ""}
    return templates.TemplateResponse(request, "editor/map.html", {**base, **context}, status_code=status,
                                      headers={"Cache-Control": "no-store", "Content-Language": lang,
                                               "Referrer-Policy": "no-referrer"})


def _level_name(lang: str) -> Any:
    def name(comp: Competence, level: int | None) -> str:
        found = next((lv for lv in comp.levels if lv.number == level), None)
        return (found.labels.get(lang) or found.labels.get("en") or "") if found else ""

    return name


@router.get("/map", summary="What I hold and what I lack in a practice (no account needed)",
            response_class=HTMLResponse)
def map_form(request: Request, practice: str = "") -> Response:
    return _render(request, chosen=practice)


@router.post("/map", summary="My map from pasted or uploaded credentials or certificate PDFs (nothing stored)",
             response_class=HTMLResponse)
def map_submit(request: Request, practice: Annotated[str, Form()] = "",
               credential: Annotated[str, Form()] = "",
               files: Annotated[list[UploadFile] | None, File()] = None,
               share: Annotated[str, Form()] = "",
               check: Verifier = Depends(verifier)) -> Response:
    lang = _lang(request)
    _ = translations(lang).gettext
    settings: Settings = request.app.state.settings
    known = service.known(_db(request))
    if not isinstance(known.get(practice), Practice):
        return _render(request, status=422, chosen=practice, error=_("Choose a practice."))
    items: list[tuple[str | None, bytes | None, str | None]] = []
    for chunk in credential.split("\n\n\n") if credential.strip() else []:
        items.append((chunk, None, None))
    for upload in files or []:
        if upload.filename:
            items.append((None, upload.file.read(MAX_UPLOAD_BYTES + 1), upload.filename))
    items = items[:MAX_CREDENTIALS]
    charge_more(len(items) - 1)  # the gate took one verification's token; each other credential costs one too
    shown: list[learner.Presented] = []
    for text, data, filename in items:
        try:
            found = extract(text, data, filename)
        except (LeadsError, IssuerError) as exc:
            shown.append(learner.Presented(filename or _("Pasted text"), False, said(exc, _), ()))
            continue
        report = check.verify(found.credential)
        doc = found.credential
        shown.append(learner.presented(doc, report, known, settings.entity_base))
    built = learner.build(practice, known, shown, lang, _level_name(lang))
    if share:
        wait = request.app.state.map_shares.take(scope_client_key(request.scope))
        if wait > 0:  # anyone may share, and each map is kept a year: at most so many an hour from one address
            minutes = max(1, math.ceil(wait / 60))
            raise TooManyShares(minutes)
        map_id, key = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        with _db(request).session() as session:
            session.execute(delete(SharedMap).where(SharedMap.created_at < _kept_since(settings)))  # past their time
            kept = {k: v for k, v in built.items() if k != "credentials"}  # the map only (decision 023), never
            session.add(SharedMap(id=map_id, data={"lang": lang, "map": kept, "remove": _digest(key)}))  # what was sent
        return RedirectResponse(f"/map/s/{map_id}?k={key}", status_code=303)
    return _render(request, chosen=practice, map=built)


def _kept_since(settings: Settings) -> datetime:
    """Maps shared before this moment are past their time (anyone may share one: none is kept for ever)."""
    return datetime.now(UTC) - timedelta(days=settings.map_keep_days)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


@router.get("/map/s/{map_id}", summary="A map its learner chose to share (the map only)", response_class=HTMLResponse)
def shared(request: Request, map_id: str, k: str = "") -> Response:
    settings: Settings = request.app.state.settings
    with _db(request).session() as session:
        row = session.get(SharedMap, map_id)
        data = dict(row.data) if row and aware(row.created_at) >= _kept_since(settings) else None
        until = aware(row.created_at) + timedelta(days=settings.map_keep_days) if row else None
    if data is None:
        raise NotFound("no shared map at this address (its learner may have removed it, or its time ran out)")
    owner = bool(k) and hmac.compare_digest(_digest(k), str(data.get("remove", "")))
    return _render(request, chosen=data["map"]["practice"]["key"], map=data["map"], shared=True,
                   remove_key=k if owner else "", map_id=map_id, kept_until=until)


@router.post("/map/s/{map_id}/remove", summary="Take a shared map down (with the key given when it was made)")
def remove_shared(request: Request, map_id: str, k: Annotated[str, Form()] = "") -> Response:
    with _db(request).session() as session:
        row = session.get(SharedMap, map_id)
        if row is None or not hmac.compare_digest(_digest(k), str(row.data.get("remove", ""))):
            raise NotFound("no shared map at this address, or not your key")
        session.delete(row)
    return RedirectResponse("/map?m=removed", status_code=303)


@router.get("/map/launch/{launch_id}", summary="My map inside my course, from the certificates LEADS issued me",
            response_class=HTMLResponse)
def in_course(request: Request, launch_id: str, practice: str = "", check: Verifier = Depends(verifier),
              credentials: CredentialService = Depends(credential_service)) -> Response:
    who = who_for_launch(request, launch_id)
    db = _db(request)
    settings: Settings = request.app.state.settings
    known = service.known(db)
    practices = _practices(known, _lang(request))
    chosen = practice or (practices[0][0] if practices else "")
    if not chosen:
        return _render(request, chosen="")
    with db.session() as session:
        ids = [str(a.credential_id) for a in awards_of(session, who.learner)
               if a.state == "issued" and a.credential_id]
    shown = []
    for cid in ids:
        row = credentials.get(cid)
        doc: dict[str, Any] | str = str(row.document["jwt"]) if row.format == "jwt" else row.document
        shown.append(learner.presented(doc, check.verify(doc), known, settings.entity_base))
    built = learner.build(chosen, known, shown, _lang(request), _level_name(_lang(request)))
    return _render(request, chosen=chosen, map=built, launch_id=launch_id)
