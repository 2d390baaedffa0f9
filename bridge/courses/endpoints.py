"""Instructor pages: pick a design, preview its course outline, pick a target, generate (progress), get the link.

Who may use them: a holder of the admin token (``Authorization: Bearer`` or the login form, which opens an admin
session, see ``bridge.web.admin``), or an instructor inside an LTI launch (``?launch=<launch id>``). Forms riding on
the session cookie carry its CSRF token; the login form carries its own (no login CSRF). Creation is a job in the
database queue that ``leads worker`` runs (``bridge.courses.jobs``); the job page, served by any web process, refreshes
itself until the steps are done and then links to the course.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from bridge.courses import jobs as course_jobs
from bridge.courses import service
from bridge.courses.outline import CourseOutline
from bridge.courses.targets import get_target, load_targets
from bridge.dataspace.api import CredentialDesign, current_index
from bridge.db import Database
from bridge.errors import LeadsError
from bridge.ltitool.api import is_instructor, launch_for, launch_scope
from bridge.settings import Settings
from bridge.web import admin
from bridge.web.errors import kept_shown
from bridge.web.negotiate import request_lang, templates, wants_json
from bridge.web.openapi import answers

router = APIRouter(prefix="/courses", tags=["courses"])


def _state(request: Request) -> tuple[Settings, Database]:
    return request.app.state.settings, request.app.state.db


def _tr(request: Request, text: str) -> str:
    return admin.tr(request, text)


def _authorise(request: Request, launch: str | None) -> dict[str, Any]:
    """Who is asking: the admin (token or session), or an instructor of an LTI launch; else a 401/403/429.
    ``requester`` says what they may generate (``service.authorise_generation``)."""
    token = admin.bearer_token(request)
    if token is not None:
        admin.check_admin_token(request, token, "generating courses")
        return {"who": "admin", "session": None, "requester": service.Requester()}
    sid = admin.session_id(request)
    if sid:
        return {"who": "admin", "session": sid, "requester": service.Requester()}
    tool = getattr(request.app.state, "lti", None)
    if launch and tool is not None:
        claims, _ = launch_for(tool, launch)
        if not is_instructor(claims):
            raise LeadsError("only instructors can generate courses", code="instructor_only", status=403)
        owner, design = launch_scope(claims)
        return {"who": "instructor", "launch": launch, "session": None,
                "requester": service.Requester(owner, design)}
    raise LeadsError("generating courses needs the admin token (log in below, or send 'Authorization: Bearer "
                     "<LEADS_ADMIN_TOKEN>') or an instructor's LTI launch", code="unauthorized", status=401)


def _login_page(request: Request, message: str, status: int) -> Response:
    """The login form with a fresh login CSRF token (cookie + hidden field: a page of another site has neither)."""
    token = secrets.token_urlsafe(24)
    response = templates.TemplateResponse(request, "courses/login.html", {
        "message": message, "login_csrf": token, "t": lambda text: _tr(request, text)}, status_code=status,
        headers={"Cache-Control": "no-store"})
    settings: Settings = request.app.state.settings
    response.set_cookie(admin.LOGIN_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
                        secure=settings.base_url.startswith("https://"), path="/courses")
    return response


def _designs(db: Database, requester: service.Requester) -> list[CredentialDesign]:
    """The designs offered: every one, or only the one the instructor's LEADS link is for."""
    designs = current_index(db).all(CredentialDesign)
    return [d for d in designs if d.key == requester.design] if requester.design else designs


def _outline_json(outline: CourseOutline) -> dict[str, Any]:
    return {
        "design": outline.design_key, "title": outline.title, "language": outline.language,
        "summary": outline.summary, "pass_cutoff": outline.pass_cutoff(),
        "lti": {"launch_url": outline.lti.launch_url, "login_url": outline.lti.login_url,
                "keyset_url": outline.lti.keyset_url},
        "parts": [{"key": p.key, "title": p.title, "weight": p.weight} for p in outline.parts],
        "sections": [{"key": s.key, "kind": s.kind, "title": s.title, "outcomes": list(s.outcomes),
                      "activities": [{"key": a.key, "title": a.title, "graded": a.graded,
                                      "passing_threshold": a.passing_threshold, "custom": dict(a.custom)}
                                     for a in s.activities]} for s in outline.sections],
    }


@router.get("/generate", summary="Pick a design, preview its course outline, pick a target")
def generate_page(request: Request, design: str | None = None, launch: str | None = None) -> Response:
    settings, db = _state(request)
    try:
        who = _authorise(request, launch)
    except LeadsError as exc:
        if exc.status == 401 and not wants_json(request):
            return _login_page(request, _tr(request, "Log in with the admin token to generate courses."), 401)
        raise
    targets = load_targets(settings.courses)
    if design:
        service.check_design(who["requester"], design)  # the outline and course links of another design: no
    outline = service.load_outline(db, design, settings.base_url) if design else None
    designs = _designs(db, who["requester"])
    if wants_json(request):
        return JSONResponse({"designs": [d.key for d in designs], "targets": sorted(targets),
                             "outline": _outline_json(outline) if outline else None})
    return templates.TemplateResponse(request, "courses/generate.html", {
        "designs": designs, "design": design, "outline": outline, "targets": targets, "who": who,
        "launch": launch, "links": service.list_links(db, design) if design else [],
        "csrf": admin.csrf_token(settings, who["session"]) if who.get("session") else "",
        "t": lambda text: _tr(request, text)})


@router.post("/login", summary="Log in with the admin token (opens an admin session)", status_code=303,
             responses={303: {"description": "logged in: on to the generation page"},
                        401: {"description": "not the admin token", "content": {"text/html": {}}},
                        403: {"description": "sent from another site, or without the login form's token",
                              "content": {"text/html": {}}}})
def login(request: Request, admin_token: str = Form(...), login_csrf: str = Form("")) -> Response:
    settings, _ = _state(request)
    admin.check_origin(request)
    expected = request.cookies.get(admin.LOGIN_COOKIE, "")
    if not expected or not secrets.compare_digest(login_csrf.encode(), expected.encode()):
        raise LeadsError(_tr(request, "This login form has expired or did not come from this site; open the page "
                                      "again and log in."), code="csrf_failed", status=403)
    try:
        admin.check_admin_token(request, admin_token, "logging in")
    except LeadsError as exc:
        if exc.status != 401:
            raise
        return _login_page(request, _tr(request, "That is not the administrator password."), 401)
    sid = admin.sessions(request).open(previous=request.cookies.get(admin.SESSION_COOKIE))
    response = RedirectResponse("/courses/generate", status_code=303)
    response.set_cookie(admin.SESSION_COOKIE, sid, max_age=int(admin.SESSION_HOURS * 3600), httponly=True,
                        samesite="lax", secure=settings.base_url.startswith("https://"), path="/courses")
    response.delete_cookie(admin.LOGIN_COOKIE, path="/courses")
    return response


@router.post("/logout", summary="End the admin session", status_code=303,
             responses={303: {"description": "logged out"}, 403: {"description": "sent from another site"}})
def logout(request: Request, csrf: str = Form("")) -> Response:
    sid = admin.session_id(request)
    if sid:
        admin.check_csrf(request, sid, csrf)
        admin.sessions(request).close(sid)
    response = RedirectResponse("/courses/generate", status_code=303)
    response.delete_cookie(admin.SESSION_COOKIE, path="/courses")
    return response


@router.get("/generate/download", summary="The course as a Moodle backup (mbz) or Open edX OLX (olx)",
            responses=answers("application/vnd.moodle.backup", "application/gzip"))
def download(request: Request, design: str, format: str = "mbz", launch: str | None = None) -> Response:
    settings, db = _state(request)
    _authorise(request, launch)
    if format not in service.EXPORTERS:
        raise LeadsError("format must be one of %(formats)s", code="unknown_format",
                         params={"formats": ", ".join(sorted(service.EXPORTERS))})
    outline = service.load_outline(db, design, settings.base_url)
    exporter = service.EXPORTERS[format]
    data = service.export(outline, format)
    return Response(data, media_type=exporter.media_type, headers={
        "Content-Disposition": f'attachment; filename="{outline.short_name}{exporter.suffix}"'})


@router.post("/generate", summary="Create or update the course on a target (starts a job)")
def start(request: Request, design: str = Form(...), target: str = Form(...),
          launch: str | None = Form(None), csrf: str | None = Form(None)) -> Response:
    settings, db = _state(request)
    who = _authorise(request, launch)
    if who.get("session"):  # rides on the session cookie: the form must come from our page
        admin.check_csrf(request, who["session"], csrf)
    chosen = get_target(target, load_targets(settings.courses))  # an unknown target or design: refused now
    service.load_outline(db, design, settings.base_url)
    service.authorise_generation(db, design, target, chosen.lms, who["requester"])
    job_id = course_jobs.enqueue(db, design, target)  # `leads worker` runs it (decision 020)
    url = f"/courses/generate/jobs/{job_id}" + (f"?launch={launch}" if launch else "")
    if wants_json(request):
        return JSONResponse({"job": job_id, "url": url}, status_code=202)
    return RedirectResponse(url, status_code=303)


@router.get("/generate/jobs/{job_id}", summary="Progress of a generation job")
def job_page(request: Request, job_id: str, launch: str | None = None) -> Response:
    who = _authorise(request, launch)
    _, db = _state(request)
    data = course_jobs.get(db, job_id)
    if wants_json(request):
        return JSONResponse(data)
    settings, _ = _state(request)
    error, lang = data.get("error") or {}, request_lang(request)
    return templates.TemplateResponse(request, "courses/job.html", {
        "job": data, "launch": launch, "now": datetime.now(UTC),
        "reason": kept_shown(error.get("reason_template"), error.get("reason_params"), error.get("reason", ""), lang),
        "message": kept_shown(error.get("template"), error.get("params"), error.get("message", ""), lang),
        "csrf": admin.csrf_token(settings, who["session"]) if who.get("session") else ""})
