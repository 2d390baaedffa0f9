"""The editor's pages under /edit: sign-in (the wiki's OAuth 2, or an admin-named local editor), forms, live check,
drafts, publishing, history; and the admin API naming local editors. Routes are thin and plain ``def`` (the
database and the wiki are blocking work, kept off the event loop)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from bridge.dataspace.api import EntityBase, Kind, Practice, ui
from bridge.db import Database
from bridge.editor import forms, publishing, service, wiki
from bridge.editor.service import Person
from bridge.errors import LeadsError, NotFound, ValidationFailed
from bridge.i18n import translations
from bridge.settings import Settings
from bridge.web.admin import check_origin, require_admin
from bridge.web.errors import problem_shown, problem_text, spoken
from bridge.web.negotiate import request_lang, templates
from bridge.wikibase.api import PropertyMap, WikibaseClient, merge_records

router = APIRouter(tags=["editor"])
COOKIE = "leads_editor"
OAUTH_COOKIE = "leads_editor_oauth"
EQF = list(range(1, 9))


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _lang(request: Request) -> str:
    """``?lang=``, then the language the person chose earlier (its cookie: forms post without ``?lang=``)."""
    return request_lang(request)


def _person(request: Request) -> Person | None:
    return service.person_of(_db(request), request.cookies.get(COOKIE))


def _csrf(request: Request) -> str:
    secret = _settings(request).secret_key.get_secret_value().encode()
    return hmac.new(secret, (request.cookies.get(COOKIE) or "").encode(), hashlib.sha256).hexdigest()


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison that also takes what a client typed (any characters, never an error)."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8", "replace"))


def _require(request: Request, csrf: str) -> Person:
    person = _person(request)
    if person is None:
        raise LeadsError("sign in to edit", code="sign_in_required", status=401)
    if not _same(csrf, _csrf(request)):
        raise LeadsError("the form is out of date; reload the page and try again", code="csrf_failed", status=403)
    return person


def _render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    lang = _lang(request)
    if context.get("problems"):  # in the page's language, each sentence no catalogue knows marked as English
        context["problems"] = [problem_shown(p, lang) for p in context["problems"]]
    base = {"lang": lang, "ui": ui(lang), "_": translations(lang).gettext, "person": _person(request),
            "csrf": _csrf(request), "wiki": wiki.enabled(_settings(request)), "slugs": forms.SLUG_OF,
            "kind_names": forms.KIND_NAMES, "qs": f"?lang={lang}" if request.query_params.get("lang") else ""}
    return templates.TemplateResponse(request, template, {**base, **context}, status_code=status,
                                      headers={"Cache-Control": "no-store", "Content-Language": lang})


def _kind(slug: str) -> Kind:
    kind = forms.SLUGS.get(slug)
    if kind is None:
        raise NotFound("nothing to edit called '%(slug)s'", params={"slug": slug})
    return kind


@router.get("/edit", summary="The data-space editor: what there is, drafts, sign-in", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    known = service.known(_db(request))
    lang = _lang(request)
    groups = [(kind, forms.SLUG_OF[kind], forms.options([kind], known, lang)) for kind in forms.SLUG_OF]
    drafts = service.drafts(_db(request)) if _person(request) is not None else []  # only editors read drafts
    return _render(request, "editor/home.html", groups=groups, drafts=drafts,
                   message=request.query_params.get("m", ""))


# --- signing in -----------------------------------------------------------------------------------------------

@router.get("/edit/signin", summary="Sign in to edit (the wiki's OAuth 2, or a local editor's form)",
            response_class=HTMLResponse)
def signin(request: Request) -> Response:
    settings = _settings(request)
    if not wiki.enabled(settings):
        return _render(request, "editor/signin.html")
    begun = wiki.start(settings)
    response = RedirectResponse(begun.url, status_code=303)
    response.set_cookie(OAUTH_COOKIE, f"{begun.state}.{begun.verifier}", max_age=600, httponly=True, samesite="lax",
                        secure=settings.base_url.startswith("https://"), path="/edit")
    return response


@router.post("/edit/signin", summary="Sign in as a local editor (no Wikibase configured)",
             response_class=HTMLResponse)
def signin_local(request: Request, name: Annotated[str, Form()] = "",
                 token: Annotated[str, Form()] = "") -> Response:
    check_origin(request)  # another site must not sign a browser in as its own editor (login CSRF)
    if wiki.enabled(_settings(request)) or not service.check_local_editor(_db(request), name, token):
        return _render(request, "editor/signin.html", status=401, failed=True)
    return _signed_in(request, Person(name.strip(), "local"))


@router.get("/edit/callback", summary="Where the wiki sends the browser back after the sign-in")
def oauth_callback(request: Request, code: str = "", state: str = "", error: str = "") -> Response:
    saved_state, _, verifier = (request.cookies.get(OAUTH_COOKIE) or "").partition(".")
    if error or not code or not saved_state or not _same(state, saved_state):
        return _render(request, "editor/signin.html", status=400, failed=True)
    name, token = wiki.finish(_settings(request), code, verifier)
    response = _signed_in(request, Person(name, "wikibase", token))
    response.delete_cookie(OAUTH_COOKIE, path="/edit")
    return response


def _signed_in(request: Request, person: Person) -> Response:
    service.close_session(_db(request), request.cookies.get(COOKIE))
    session_id = service.open_session(_db(request), person)
    response = RedirectResponse("/edit", status_code=303)
    response.set_cookie(COOKIE, session_id, httponly=True, samesite="lax", path="/",
                        secure=_settings(request).base_url.startswith("https://"), max_age=service.SESSION_HOURS * 3600)
    return response


@router.post("/edit/signout", summary="Sign out of the editor")
def signout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    if _same(csrf, _csrf(request)):
        service.close_session(_db(request), request.cookies.get(COOKIE))
    response = RedirectResponse("/edit", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


# --- search, check ----------------------------------------------------------------------------------------------

_PROPMAPS: dict[str, PropertyMap] = {}


def _propmap(client: WikibaseClient, settings: Settings) -> PropertyMap:
    if client.api_url not in _PROPMAPS:
        _PROPMAPS[client.api_url] = client.property_map(settings)
    return _PROPMAPS[client.api_url]


@router.get("/edit/search", summary="Search-as-you-type on the configured Wikibase (wbsearchentities)")
def search(request: Request, q: str = "", lang: str = "en") -> JSONResponse:
    """For signed-in editors only: each search is a call to the wiki, which anyone could otherwise repeat through
    LEADS (and get LEADS's address limited by the wiki)."""
    if _person(request) is None:
        raise LeadsError("sign in to edit", code="sign_in_required", status=401)
    settings = _settings(request)
    if not settings.wikibase_api_url or len(q.strip()) < 2:
        return JSONResponse({"results": []})
    client = WikibaseClient.from_settings(settings)
    return JSONResponse({"results": wiki.search(client, q.strip()[:100], lang if lang in forms.LANGS else "en")})


async def _form(request: Request) -> dict[str, list[str]]:
    data = await request.form()
    out: dict[str, list[str]] = {}
    for name, value in data.multi_items():
        if isinstance(value, str):
            out.setdefault(name, []).append(value)
    return out


@router.post("/api/edit/{slug}/check", summary="Check a form as typed: the problems `leads data validate` would list")
async def check(request: Request, slug: str) -> JSONResponse:
    form = await _form(request)
    from starlette.concurrency import run_in_threadpool

    problems = await run_in_threadpool(_problems, request, _kind(slug), form)
    lang = _lang(request)
    return JSONResponse({"valid": not problems, "problems": [
        p.as_dict() | dict(zip(("text", "text_lang"), problem_text(p, lang), strict=True)) for p in problems]})


def _problems(request: Request, kind: Kind, form: forms.Form) -> list[Any]:
    known = service.known(_db(request))
    entities, shape = forms.parse(kind, form, known)
    return service.problems_of(entities, _db(request), shape)


@router.get("/edit/history/{key}", summary="Who changed an entity, when, and why", response_class=HTMLResponse)
def history(request: Request, key: str) -> Response:
    entity = service.known(_db(request)).get(key)
    if entity is None:
        raise NotFound("no entity '%(key)s' in the data space", params={"key": key})
    rows = service.history(_db(request), key)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"key": key, "history": rows})
    return _render(request, "editor/history.html", entity=entity, rows=rows, slug=forms.SLUG_OF.get(Kind(entity.kind)))


# --- the forms ----------------------------------------------------------------------------------------------

@router.get("/edit/{slug}/new", summary="A form for a new entity", response_class=HTMLResponse)
def new(request: Request, slug: str) -> HTMLResponse:
    return _edit_page(request, _kind(slug), None)


@router.get("/edit/{slug}/{key}", summary="The form of an entity (its draft if there is one)",
            response_class=HTMLResponse)
def edit(request: Request, slug: str, key: str) -> HTMLResponse:
    return _edit_page(request, _kind(slug), key)


def _edit_page(request: Request, kind: Kind, key: str | None, status: int = 200,
               base_revs_now: dict[str, int] | None = None, **extra: Any) -> HTMLResponse:
    db = _db(request)
    known = service.known(db)
    editor = _person(request) is not None  # drafts are nobody else's business until published
    entity: EntityBase | None = None
    is_draft = False
    drafted: dict[str, int | None] = {}
    if key is not None:
        found = service.draft(db, key) if editor else None
        if found is not None:
            entity, drafted[key], _author = found
            is_draft = True
        else:
            entity = known.get(key)
            if entity is None or entity.kind != kind:
                raise NotFound("no %(kind)s '%(key)s' in the data space", params={"kind": kind.value, "key": key})
    parts: dict[str, EntityBase] = {}  # a practice's rows show what its activities' drafts hold
    for ref in (entity.has_part if isinstance(entity, Practice) and editor else []):
        if (part := service.draft(db, ref.key)) is not None:
            parts[ref.key], drafted[ref.key] = part[0], part[1]
    lang = _lang(request)
    values = extra.pop("values", None) or forms.values(entity, {**known, **parts})
    keys = [k for k in [key or "", *(row["key"] for row in values.get("activities", []))] if k]
    revs = {**_base_revs(request, keys), **{k: r for k, r in drafted.items() if r is not None},
            **(base_revs_now or {})}
    choices = {f.name: forms.options(f.kinds, {k: e for k, e in known.items() if k != key}, lang)
               for f in forms.FIELDS[kind] if f.kinds}
    return _render(request, "editor/form.html", status=status, kind=kind, slug=forms.SLUG_OF[kind], key=key,
                   fields=forms.FIELDS[kind], v=values, choices=choices, base_rev=revs.get(key or "", ""),
                   row_base_revs=[(k, revs[k]) for k in keys if k != key and k in revs], eqf=EQF,
                   is_draft=is_draft, history=service.history(db, key) if key else [],
                   message=request.query_params.get("m", ""), **extra)


def _base_revs(request: Request, keys: list[str]) -> dict[str, int]:
    settings = _settings(request)
    if not settings.wikibase_api_url:
        return {}
    return wiki.revisions_of(_db(request), settings.wikibase_api_url, keys)


def _form_revs(form: forms.Form, main: str | None) -> dict[str, int]:
    """The revision each item was at when the form was opened: ``base_rev`` for its own entity, ``base_rev.<key>``
    for the others it edits (a practice's activities), so each item is compared with its own base."""
    revs = {name.removeprefix("base_rev."): forms._one(form, name) for name in form if name.startswith("base_rev.")}
    if main:
        revs[main] = forms._one(form, "base_rev")
    return {k: int(v) for k, v in revs.items() if k and v.isdigit()}


@router.post("/edit/{slug}", summary="Save a draft of, or publish, an entity", response_class=HTMLResponse)
async def save(request: Request, slug: str) -> Response:
    form = await _form(request)
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_save, request, _kind(slug), form)


def _save(request: Request, kind: Kind, form: forms.Form) -> Response:
    person = _require(request, forms._one(form, "csrf"))
    db = _db(request)
    known = service.known(db)
    entities, shape = forms.parse(kind, form, known)
    key = forms._one(form, "key").lower() or None
    shown = key if key in known and Kind(known[key].kind) == kind else None
    form_revs = _form_revs(form, key)
    again: dict[str, Any] = {"values": _echo(form, entities, known), "base_revs_now": form_revs}
    if shape:
        return _edit_page(request, kind, shown, status=422, problems=shape, **again)
    summary = forms._one(form, "summary")[:500] or f"LEADS editor: {kind.value} {key}"
    if forms._one(form, "action") == "draft":
        service.save_draft(db, entities, person.name, form_revs)
        return RedirectResponse(f"/edit/{forms.SLUG_OF[kind]}/{entities[0].key}?m=draft", status_code=303)
    problems = service.problems_of(entities, db)
    if problems:
        return _edit_page(request, kind, shown, status=422, problems=problems, **again)
    settings = _settings(request)
    try:
        if wiki.enabled(settings):
            if person.source != "wikibase" or not person.token:
                raise LeadsError("sign in with the wiki to publish", code="sign_in_required", status=401)
            client = wiki.person_client(settings, person.token)
            revs = {**_base_revs(request, [e.key for e in entities]), **form_revs}
            try:
                done = publishing.publish(client, _propmap(client, settings), entities, known, summary, revs, db)
            except publishing.PartlyPublished as exc:  # what did reach the wiki is recorded all the same
                _recorded(db, client.api_url, exc.done, person, summary)
                raise
            _recorded(db, client.api_url, done, person, summary)
        else:
            service.publish_locally(db, entities, person, summary)
    except publishing.EditConflict as exc:  # publishing again, after seeing both versions, is deliberate
        again["base_revs_now"] = {**form_revs, **exc.revisions}
        lang = _lang(request)
        return _edit_page(request, kind, shown, status=409, conflict=exc,
                          conflict_rows=exc.rows(translations(lang).gettext, lang), **again)
    except publishing.PartlyPublished as exc:  # what reached the wiki is the new base of those items
        again["base_revs_now"] = {**form_revs, **{k: int(r["rev"]) for k, r in exc.done.records.items()}}
        shown = shown or (key if key in service.known(db) else None)
        return _edit_page(request, kind, shown, status=exc.status, failure=spoken(exc, _lang(request)),
                          partial=True, **again)
    except ValidationFailed as exc:
        return _edit_page(request, kind, shown, status=422, problems=exc.problems, **again)
    except LeadsError as exc:  # the wiki refused or is away: the form comes back as typed, with the reason
        return _edit_page(request, kind, shown, status=exc.status, failure=spoken(exc, _lang(request)), **again)
    return RedirectResponse(f"/edit/{forms.SLUG_OF[kind]}/{entities[0].key}?m=published", status_code=303)


def _recorded(db: Database, api_url: str, done: publishing.Published, person: Person, summary: str) -> None:
    """The local store, the history and the sync records of what the wiki now has, in one transaction."""
    service.record_published(db, done.entities, person.name, summary, done.revisions,
                             also=lambda repo: merge_records(repo, api_url, done.records))


def _echo(form: forms.Form, entities: list[EntityBase], known: dict[str, EntityBase]) -> dict[str, Any]:
    """The form as the person typed it, to show again beside the problems (nothing is lost)."""
    values = forms.values(entities[0] if entities else None, {**known, **{e.key: e for e in entities}})
    for name, given in form.items():
        if name in values and isinstance(values[name], str):
            values[name] = given[0] if given else ""
    values["summary"] = forms._one(form, "summary")
    return values


# --- admin: local editors -----------------------------------------------------------------------------------

class EditorIn(BaseModel):
    name: str = Field(examples=["Alice"], json_schema_extra={"pattern": r"\S", "maxLength": 255},
                      description="who gets the role (1 to 255 characters)")


@router.post("/api/editors", status_code=201, summary="Give someone the editor role (local data space)")
def add_editor(request: Request, body: EditorIn, _admin: None = Depends(require_admin)) -> dict[str, str]:
    name = body.name
    return {"name": name.strip(), "token": service.add_local_editor(_db(request), name),
            "how": "give this token to the editor once; they sign in at /edit/signin with their name and it"}


@router.delete("/api/editors/{name}", summary="Take the editor role away", status_code=204)
def remove_editor(request: Request, name: str, _admin: None = Depends(require_admin)) -> Response:
    if not service.remove_local_editor(_db(request), name):
        raise NotFound("no editor '%(name)s'", params={"name": name})
    return Response(status_code=204)
