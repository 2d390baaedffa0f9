"""Instructor pages: pick a design, preview its course outline, pick a target, generate (progress), get the link.

Who may use them: a holder of the admin token (``Authorization: Bearer`` or the login form, which sets a signed
cookie), or an instructor inside an LTI launch (``?launch=<launch id>``). Creation runs in a worker thread; the
job page refreshes itself until the steps are done and then links to the course.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from bridge.courses import service
from bridge.courses.outline import CourseOutline
from bridge.courses.steps import CourseCreationFailed
from bridge.courses.targets import get_target, load_targets
from bridge.dataspace.model import CredentialDesign, Kind
from bridge.dataspace.repository import EntityRepository
from bridge.db import Database
from bridge.errors import LeadsError, NotFound
from bridge.settings import Settings
from bridge.web.negotiate import templates, wants_json

router = APIRouter(prefix="/courses", tags=["courses"])
COOKIE = "leads_courses"


@dataclass
class Job:
    id: str
    design: str
    target: str
    steps: list[dict[str, str]] = field(default_factory=list)
    status: str = "running"  # running | done | failed
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def progress(self, step: str, label: str, status: str) -> None:
        with self.lock:
            for s in self.steps:
                if s["step"] == step:
                    s["status"] = status
                    return
            self.steps.append({"step": step, "label": label, "status": status})

    def as_dict(self) -> dict[str, Any]:
        with self.lock:
            return {"id": self.id, "design": self.design, "target": self.target, "status": self.status,
                    "steps": [dict(s) for s in self.steps], "result": self.result, "error": self.error}


def _state(request: Request) -> tuple[Settings, Database]:
    return request.app.state.settings, request.app.state.db


def _jobs(request: Request) -> dict[str, Job]:
    state = request.app.state
    if getattr(state, "course_jobs", None) is None:
        state.course_jobs = {}
        state.course_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="leads-course")
    jobs: dict[str, Job] = state.course_jobs
    return jobs


def _cookie_value(settings: Settings) -> str:
    return hmac.new(settings.secret_key.get_secret_value().encode(), b"courses-admin", hashlib.sha256).hexdigest()


def _authorise(request: Request, launch: str | None) -> dict[str, Any]:
    """Who is asking: the admin, or an instructor of an LTI launch; anybody else gets a 401/403."""
    settings, _ = _state(request)
    auth = request.headers.get("authorization", "")
    token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
    if token and hmac.compare_digest(token.encode(), settings.admin_token.get_secret_value().encode()):
        return {"who": "admin"}
    cookie = request.cookies.get(COOKIE, "")
    if cookie and hmac.compare_digest(cookie, _cookie_value(settings)):
        return {"who": "admin"}
    tool = getattr(request.app.state, "lti", None)
    if launch and tool is not None:
        from bridge.ltitool.pages import is_instructor
        from bridge.ltitool.services import launch_for

        claims, _ = launch_for(tool, launch)
        if not is_instructor(claims):
            raise LeadsError("only instructors can generate courses", code="instructor_only", status=403)
        return {"who": "instructor", "launch": launch}
    raise LeadsError("generating courses needs the admin token (log in below, or send 'Authorization: Bearer "
                     "<LEADS_ADMIN_TOKEN>') or an instructor's LTI launch", code="unauthorized", status=401)


def _designs(db: Database) -> list[CredentialDesign]:
    with db.session() as session:
        return [e for e in EntityRepository(session).list(Kind.CREDENTIAL_DESIGN) if isinstance(e, CredentialDesign)]


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
            return templates.TemplateResponse(request, "courses/login.html", {"message": exc.message},
                                              status_code=401)
        raise
    targets = load_targets()
    outline = service.load_outline(db, design, settings.base_url) if design else None
    if wants_json(request):
        return JSONResponse({"designs": [d.key for d in _designs(db)], "targets": sorted(targets),
                             "outline": _outline_json(outline) if outline else None})
    return templates.TemplateResponse(request, "courses/generate.html", {
        "designs": _designs(db), "design": design, "outline": outline, "targets": targets, "who": who,
        "launch": launch, "links": service.list_links(db, design) if design else []})


@router.post("/login", include_in_schema=False)
def login(request: Request, admin_token: str = Form(...)) -> Response:
    settings, _ = _state(request)
    if not hmac.compare_digest(admin_token.encode(), settings.admin_token.get_secret_value().encode()):
        return templates.TemplateResponse(request, "courses/login.html",
                                          {"message": "That is not the admin token."}, status_code=401)
    response = RedirectResponse("/courses/generate", status_code=303)
    response.set_cookie(COOKIE, _cookie_value(settings), httponly=True, samesite="lax",
                        secure=settings.base_url.startswith("https://"), path="/courses")
    return response


@router.get("/generate/download", summary="The course as a Moodle backup (mbz) or Open edX OLX (olx)")
def download(request: Request, design: str, format: str = "mbz", launch: str | None = None) -> Response:
    settings, db = _state(request)
    _authorise(request, launch)
    if format not in service.EXPORTERS:
        raise LeadsError(f"format must be one of {', '.join(sorted(service.EXPORTERS))}", code="unknown_format")
    outline = service.load_outline(db, design, settings.base_url)
    exporter = service.EXPORTERS[format]
    data = service.export(outline, format)
    return Response(data, media_type=exporter.media_type, headers={
        "Content-Disposition": f'attachment; filename="{outline.short_name}{exporter.suffix}"'})


@router.post("/generate", summary="Create or update the course on a target (starts a job)")
def start(request: Request, design: str = Form(...), target: str = Form(...),
          launch: str | None = Form(None)) -> Response:
    settings, db = _state(request)
    _authorise(request, launch)
    chosen = get_target(target, load_targets())
    outline = service.load_outline(db, design, settings.base_url)
    jobs = _jobs(request)
    job = Job(id=uuid.uuid4().hex, design=design, target=target)
    jobs[job.id] = job

    def run() -> None:
        try:
            with httpx.Client(timeout=60, headers={"User-Agent": settings.user_agent}) as http:
                result = service.create_course(db, outline, chosen, http, progress=job.progress)
            with job.lock:
                job.result, job.status = result.as_dict(), "done"
        except CourseCreationFailed as exc:
            with job.lock:
                job.error, job.status = {"message": exc.message, **exc.extra}, "failed"
        except Exception as exc:  # the page must show any failure instead of spinning forever
            with job.lock:
                job.error, job.status = {"message": f"{exc.__class__.__name__}: {exc}"}, "failed"

    request.app.state.course_executor.submit(run)
    url = f"/courses/generate/jobs/{job.id}" + (f"?launch={launch}" if launch else "")
    if wants_json(request):
        return JSONResponse({"job": job.id, "url": url}, status_code=202)
    return RedirectResponse(url, status_code=303)


@router.get("/generate/jobs/{job_id}", summary="Progress of a generation job")
def job_page(request: Request, job_id: str, launch: str | None = None) -> Response:
    _authorise(request, launch)
    job = _jobs(request).get(job_id)
    if job is None:
        raise NotFound(f"no generation job '{job_id}' (jobs live until the service restarts)", code="job_not_found")
    data = job.as_dict()
    if wants_json(request):
        return JSONResponse(data)
    return templates.TemplateResponse(request, "courses/job.html", {"job": data, "launch": launch,
                                                                     "now": datetime.now(UTC)})
