"""Course use cases: outline of a stored design, offline export (.mbz / OLX), live creation on a target."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.exc import IntegrityError

from bridge.courses.moodle.backup import build_mbz
from bridge.courses.moodle.live import MoodleBackend
from bridge.courses.openedx.live import OpenEdxBackend
from bridge.courses.openedx.olx import CourseKey, build_olx
from bridge.courses.outline import CourseOutline, build_outline
from bridge.courses.steps import CourseBackend, Progress, RunState, no_progress, run_steps
from bridge.courses.store import CourseLinks
from bridge.courses.targets import MoodleTarget, OpenEdxTarget
from bridge.dataspace.api import EntityBase, EntityRepository
from bridge.db import Database
from bridge.errors import LeadsError

BACKENDS: dict[str, CourseBackend] = {"moodle": MoodleBackend(), "openedx": OpenEdxBackend()}


def register_backend(backend: CourseBackend) -> None:
    BACKENDS[backend.lms] = backend


@dataclass(frozen=True)
class Exporter:
    media_type: str
    suffix: str
    build: Callable[[CourseOutline, datetime], bytes]


EXPORTERS: dict[str, Exporter] = {
    "mbz": Exporter("application/vnd.moodle.backup", ".mbz", lambda o, when: build_mbz(o, when)),
    "olx": Exporter("application/gzip", ".tar.gz", lambda o, when: build_olx(o, CourseKey.for_outline(o), when)),
    # the competency framework(s) for Moodle's "Import competency framework" (one CSV; frameworks one after another)
    "moodle-competencies": Exporter("text/csv", ".csv", lambda o, when: _framework_files(o)),
}


def _framework_files(outline: CourseOutline) -> bytes:
    from bridge.courses.moodle.competencies import framework_csv

    if not outline.frameworks:
        raise LeadsError("'%(design_key)s' names no competences: there is no competency framework to export",
                         code="no_competences", status=409, params={"design_key": outline.design_key})
    if len(outline.frameworks) > 1:
        raise LeadsError("'%(design_key)s' spans %(count)s practices; Moodle imports one framework per file: export "
                         "each practice's design separately", code="several_frameworks",
                         status=409, params={"design_key": outline.design_key, "count": len(outline.frameworks)})
    return framework_csv(outline.frameworks[0]).encode("utf-8")


def load_outline(db: Database, design_key: str, base_url: str) -> CourseOutline:
    """The outline of a design in the local store (the whole data space is read: designs refer across it)."""
    with db.session() as session:
        entities: dict[str, EntityBase] = {e.key: e for e in EntityRepository(session).list()}
    return build_outline(design_key, entities, base_url)


def export(outline: CourseOutline, fmt: str, when: datetime | None = None) -> bytes:
    if fmt not in EXPORTERS:
        raise LeadsError("unknown format '%(fmt)s'; use one of %(formats)s",
                         code="unknown_format", params={"fmt": fmt, "formats": ", ".join(sorted(EXPORTERS))})
    return EXPORTERS[fmt].build(outline, when or datetime.now(UTC))


@dataclass(frozen=True)
class CreationResult:
    design_key: str
    target: str
    lms: str
    remote_id: str | None
    url: str | None
    updated: bool  # True when the course existed already and was updated in place
    created: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"design": self.design_key, "target": self.target, "lms": self.lms, "remote_id": self.remote_id,
                "url": self.url, "updated": self.updated, "created": self.created}


def create_course(db: Database, outline: CourseOutline, target: MoodleTarget | OpenEdxTarget,
                  http: httpx.Client, *, progress: Progress = no_progress,
                  sleep: Callable[[float], None] = time.sleep) -> CreationResult:
    """Create the course on ``target``, or update the one made earlier for the same design and target.

    A run that failed half-way resumes after its last finished step; every step records in the database what
    it created before the next one starts, so a crash loses nothing and nothing is created twice.
    """
    backend = BACKENDS.get(target.lms)
    if backend is None:
        raise LeadsError("no course back-end for LMS '%(lms)s'", code="unknown_lms", params={"lms": target.lms})
    with db.session() as session:
        links = CourseLinks(session)
        link = links.get(outline.design_key, target.name)
        claimed = links.claimed(target.name, outline.design_key)
        previous_status = link.status if link else None
        state = RunState.from_json(link.steps if link else None, resume=previous_status == "partial")
    updated = previous_status == "done" or bool(state.ids)

    def checkpoint(current: RunState, status: str = "partial", error: str | None = None) -> None:
        with db.session() as s:
            CourseLinks(s).save(outline.design_key, target.name, target.lms, steps=current.as_json(),
                                status=status, remote_id=backend.remote_id(target, current),
                                url=backend.url(target, current), error=error)

    steps = backend.plan(target, outline, http, sleep, claimed)
    try:
        run_steps(steps, state, progress, checkpoint)
    except LeadsError as exc:
        checkpoint(state, "partial", str(exc)[:2000])
        raise
    checkpoint(state, "done")
    return CreationResult(outline.design_key, target.name, target.lms, backend.remote_id(target, state),
                          backend.url(target, state), updated, dict(state.ids))


def list_links(db: Database, design_key: str | None = None) -> list[dict[str, Any]]:
    with db.session() as session:
        return [{"design": link.design_key, "target": link.target, "lms": link.lms, "remote_id": link.remote_id,
                 "url": link.url, "status": link.status, "error": link.error,
                 "updated_at": link.updated_at.isoformat() if link.updated_at else None}
                for link in CourseLinks(session).list(design_key)]


@dataclass(frozen=True)
class Requester:
    """Who asks for a course on a target: the administrator (``owner`` None: any design, any course), or an
    instructor's LTI launch: ``owner`` the LMS course it came from, ``design`` the design its link is for (None when
    the link names none, e.g. the first LEADS link of a course)."""

    owner: str | None = None
    design: str | None = None


def check_design(requester: Requester, design: str) -> None:
    """A launch naming a design reaches that design's course only: its outline, its links, its generation."""
    if requester.design is not None and requester.design != design:
        raise LeadsError("this LEADS link is for the design '%(mine)s': from it you can generate that design's "
                         "course only, not '%(design)s'", code="not_this_launchs_design", status=403,
                         params={"mine": requester.design, "design": design})


def authorise_generation(db: Database, design: str, target: str, lms: str, requester: Requester,
                         *, again: bool = True) -> None:
    """Refuse a launch that may not (re)generate this course; keep a new course as the launch's course.

    A launch naming a design may generate that design's course only (create it, or update it: re-import it);
    a launch naming none may create a course nobody made yet, and resume or update the one its course made, never
    re-import a course the administrator or another course made (an Open edX run, a Moodle course of another team).
    """
    if requester.owner is None:
        return
    check_design(requester, design)
    try:
        with db.session() as session:
            links = CourseLinks(session)
            link = links.get(design, target)
            if link is None:
                links.reserve(design, target, lms, requester.owner)
            elif requester.design is None and link.created_by != requester.owner:
                raise LeadsError("the course of '%(design)s' on %(target)s was made by the site administrator or "
                                 "from another course; generating it again would overwrite it. Ask the site "
                                 "administrator, or open LEADS from a link of that design",
                                 code="course_of_someone_else", status=403,
                                 params={"design": design, "target": target})
    except IntegrityError:  # another request reserved it at the same moment: decide on its link
        if not again:
            raise
        authorise_generation(db, design, target, lms, requester, again=False)
