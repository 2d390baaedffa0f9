"""Course generation as jobs in the database queue (decision 020).

A web process enqueues (``enqueue``) and reads (``get``); ``leads worker`` claims and runs them (``work``), writing
each step's progress to the row, so the job page answers the same from every web process and survives a restart.
A claim is a conditional UPDATE (the row still queued, or its lease expired), which works on SQLite and PostgreSQL
alike; a worker killed mid-job loses its lease and another takes the job over — course creation resumes after its
last finished step (``bridge.courses.service.create_course``). Finished jobs are deleted after ``KEEP``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import delete, or_, select, update

from bridge.courses import service
from bridge.courses.steps import CourseCreationFailed, Step, kept
from bridge.courses.tables import CourseJob
from bridge.courses.targets import get_target, load_targets
from bridge.db import Database, OutagePauses, outage, outage_words
from bridge.db.base import utcnow
from bridge.errors import LeadsError, NotFound
from bridge.settings import Settings

log = logging.getLogger("leads.courses.jobs")
LEASE = timedelta(minutes=15)  # longer than any course creation; an expired lease means the worker died
KEEP = timedelta(hours=24)  # a finished job's page stays readable this long, then the row is deleted
Clock = Callable[[], datetime]


def enqueue(db: Database, design: str, target: str, now: Clock = utcnow) -> str:
    job_id = uuid.uuid4().hex
    with db.session() as session:
        session.add(CourseJob(id=job_id, design=design, target=target, status="queued", steps=[],
                              created_at=now(), updated_at=now()))
    return job_id


def get(db: Database, job_id: str) -> dict[str, Any]:
    """The job as the job page shows it; a 404 for an unknown (or cleaned-up) job."""
    with db.session() as session:
        job = session.get(CourseJob, job_id)
        if job is None:
            raise NotFound("no generation job '%(job_id)s' (finished jobs are kept for %(hours)s hours)",
                           code="job_not_found", params={"job_id": job_id, "hours": f"{KEEP.total_seconds() / 3600:g}"})
        return {"id": job.id, "design": job.design, "target": job.target, "status": job.status,
                "steps": [dict(s) for s in job.steps or []], "result": job.result, "error": job.error}


def claim(db: Database, worker: str, now: Clock = utcnow) -> str | None:
    """Take the oldest queued job (or one whose worker's lease expired); None when there is none.

    A job still running under ``worker``'s own name is taken again at once: one loop per process claims under that
    name, and it claims only between jobs, so such a job was cut short (the database went away under it) and waits
    for nobody's lease; course creation resumes after its last finished step."""
    with db.session() as session:
        ready = or_(CourseJob.status == "queued",
                    (CourseJob.status == "running") & ((CourseJob.lease_until < now()) | (CourseJob.worker == worker)))
        candidates = session.scalars(select(CourseJob.id).where(ready).order_by(CourseJob.created_at).limit(5)).all()
        for job_id in candidates:
            taken = session.execute(update(CourseJob).where(CourseJob.id == job_id, ready).values(
                status="running", worker=worker, lease_until=now() + LEASE, updated_at=now()))
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                return str(job_id)
    return None


class _Progress:
    """Writes each step's state to the job row (the web page polls it)."""

    def __init__(self, db: Database, job_id: str, now: Clock) -> None:
        self.db, self.job_id, self.now = db, job_id, now

    def __call__(self, step: Step, status: str) -> None:
        with self.db.session() as session:
            job = session.get(CourseJob, self.job_id)
            if job is None:
                return
            steps: list[dict[str, Any]] = [dict(s) for s in job.steps or []]
            for s in steps:
                if s["step"] == step.name:
                    s["status"] = status
                    break
            else:  # the English text for programs; the message and its values for the page, in any language
                steps.append({"step": step.name, "label": step.text, "status": status, "message": step.label,
                              "params": dict(step.params)})
            job.steps, job.updated_at = steps, self.now()


def _finish(db: Database, job_id: str, now: Clock, **values: Any) -> None:
    with db.session() as session:
        session.execute(update(CourseJob).where(CourseJob.id == job_id).values(lease_until=None, updated_at=now(),
                                                                                **values))


def run(db: Database, settings: Settings, job_id: str, *, http: httpx.Client | None = None,
        now: Clock = utcnow) -> None:
    """Create the job's course on its target (targets as this process's LEADS_COURSE_TARGETS names them)."""
    with db.session() as session:
        job = session.get(CourseJob, job_id)
        if job is None:
            return
        design, target = job.design, job.target
    try:
        chosen = get_target(target, load_targets(settings.courses))
        outline = service.load_outline(db, design, settings.base_url)
        client = http or httpx.Client(timeout=60, headers={"User-Agent": settings.user_agent})
        try:
            result = service.create_course(db, outline, chosen, client, progress=_Progress(db, job_id, now))
        finally:
            if http is None:
                client.close()
        _finish(db, job_id, now, status="done", result=result.as_dict())
    except CourseCreationFailed as exc:
        _finish(db, job_id, now, status="failed", error={"message": exc.message, **exc.extra})
    except LeadsError as exc:  # before any step: the target or the design is not there (any more)
        _finish(db, job_id, now, status="failed", error={"message": exc.message, "code": exc.code,
                                                         "template": exc.template, "params": kept(exc.params)})
    except Exception as exc:  # the page must show any failure instead of spinning forever
        if outage(exc) is not None:  # the database away for a moment: not the job's failure; it runs again after
            raise
        log.exception("course job %s failed", job_id)
        _finish(db, job_id, now, status="failed", error={"message": f"{exc.__class__.__name__}: {exc}",
                                                         "unexpected": True})


def clean(db: Database, now: Clock = utcnow) -> int:
    """Delete finished jobs older than ``KEEP``; returns how many."""
    with db.session() as session:
        gone = session.execute(delete(CourseJob).where(CourseJob.status.in_(("done", "failed")),
                                                       CourseJob.updated_at < now() - KEEP))
        return int(gone.rowcount)  # type: ignore[attr-defined]


def work(db: Database, settings: Settings, stop: threading.Event, *, idle: float = 1.0, once: bool = False,
         now: Clock = utcnow) -> int:
    """The worker loop: claim, run, repeat; cleans finished jobs between claims. Returns the jobs it ran.

    It runs as a thread of ``leads worker``, which nothing restarts: the database away for a moment (``outage``)
    and any other error are logged and waited out (``bridge.db.OutagePauses``), never the end of
    course generation for the life of the process. ``once`` (tests, one-off runs) raises them instead."""
    name = f"{socket.gethostname()}:{os.getpid()}:courses"
    done, pauses = 0, OutagePauses(idle)
    while not stop.is_set():
        try:
            clean(db, now)
            job_id = claim(db, name, now)
            if job_id is not None:
                log.info("course job %s claimed", job_id)
                run(db, settings, job_id, now=now)
        except Exception as exc:
            if once:
                raise
            kind, pause = outage(exc), pauses.failed()
            if kind is None:
                log.exception("course jobs: unexpected error; trying again in %.1f s", pause)
            else:
                log.warning("course jobs: %s; trying again in %.1f s", outage_words(kind, exc), pause)
            stop.wait(pause)
            continue
        pauses.worked()
        if job_id is None:
            if once:
                break
            stop.wait(idle)
            continue
        done += 1
    return done
