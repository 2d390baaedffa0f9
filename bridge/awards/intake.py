"""Grade intake paths, all ending in ``service.record_many``: AGS results and scores, the claim link, webhooks.

The AGS client is injected (``ResultsReader``: the LTI package's ``AgsClient`` fits), so the same code reads a
real platform and the loopback fake in tests.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import islice
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bridge import metrics
from bridge.awards import people, service, webhooks
from bridge.awards.config import AwardSettings, policy_of
from bridge.awards.rules import AwardRules, Decision, Missing
from bridge.awards.service import GradeInput
from bridge.awards.tables import AgsTarget, Award, WebhookReceipt
from bridge.courses.api import CourseLinks  # courses LEADS generated in an LMS
from bridge.dataspace.api import Course, index_in
from bridge.db import Database
from bridge.db.base import utcnow
from bridge.errors import LeadsError
from issuer import jsonbound
from issuer.jsonbound import JsonTooDeep
from issuer.verify.engine import parse_time

log = logging.getLogger("leads.awards")

# -- AGS -------------------------------------------------------------------------------------------------------


class ResultsReader(Protocol):
    def line_items(self, **filters: str) -> list[dict[str, Any]]: ...

    def results(self, line_item_url: str, user_id: str | None = None) -> Iterable[dict[str, Any]]: ...


if TYPE_CHECKING:  # the LTI package's AGS client is a ResultsReader (checked by mypy)
    from lti.services import AgsClient

    def _fits(client: AgsClient) -> ResultsReader:
        return client


def grades_from_ags(reader: ResultsReader, rules: AwardRules, *, design: str, source: str, context: str,
                    learner_of: Callable[[str], str], user_id: str | None = None,
                    names: Mapping[str, tuple[str | None, str | None]] | None = None,
                    stats: dict[str, int] | None = None) -> list[GradeInput]:
    """The results of LEADS's own line items (``resourceId`` = assessment key) as grade inputs (``ags_grades``)."""
    return list(ags_grades(reader, rules, design=design, source=source, context=context, learner_of=learner_of,
                           user_id=user_id, names=names, stats=stats))


def ags_grades(reader: ResultsReader, rules: AwardRules, *, design: str, source: str, context: str,
               learner_of: Callable[[str], str], user_id: str | None = None,
               names: Mapping[str, tuple[str | None, str | None]] | None = None,
               stats: dict[str, int] | None = None) -> Iterator[GradeInput]:
    """The grade inputs one line item at a time, as they are read (a MOOC's are not all held at once).

    Incremental by construction: the event id is a digest of the line item, user and score, so an unchanged
    result read again is a replay and stored once; a changed score is a new event.
    """
    wanted = rules.assessments(design)
    for item in reader.line_items():
        key = assessment_of(item, wanted)
        if key is None or not item.get("id"):
            continue
        if stats is not None:
            stats["line_items"] = stats.get("line_items", 0) + 1
        for result in reader.results(str(item["id"]), user_id):  # as the pages arrive
            score, user = result.get("resultScore"), result.get("userId")
            if score is not None and stats is not None:
                stats["results"] = stats.get("results", 0) + 1
            if score is None or not user:
                continue  # not graded yet
            maximum = result.get("resultMaximum", 1)  # AGS: absent means 1
            digest = hashlib.sha256(f"{item['id']}|{user}|{score}|{maximum}".encode()).hexdigest()[:40]
            name, email = (names or {}).get(str(user), (None, None))
            yield GradeInput(source=source, learner=learner_of(str(user)), design=design, assessment=str(key),
                             score=float(score), maximum=float(maximum), event_id=f"ags:{digest}", context=context,
                             learner_name=name, learner_email=email,
                             payload={"lineItem": item["id"], "result": result})


ID_NUMBER_PREFIX = "leads:"  # how LEADS names its activities and grade items in an LMS (ID number)


def assessment_of(item: Mapping[str, Any], wanted: Collection[str]) -> str | None:
    """The assessment a line item reports grades for, as Moodle's grade service reports it: the bare key
    (deep-linked links, restored backups that carry the resource id), or the grade item's ID number
    ``leads:<key>`` (what Moodle's restore falls back to when a backup has no resource id)."""
    value = item.get("resourceId")
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    for key in (value, value.removeprefix(ID_NUMBER_PREFIX)):
        if key in wanted:
            return key
    return None


def grade_from_score(score: Mapping[str, Any], *, resource_id: str, design: str, source: str, context: str,
                     learner_of: Callable[[str], str]) -> GradeInput | None:
    """An AGS Score (as LEADS posts it for its own activities) as a grade input; only FullyGraded counts."""
    if score.get("gradingProgress") != "FullyGraded" or score.get("scoreGiven") is None:
        return None
    user = str(score["userId"])
    stamp = str(score.get("timestamp") or "")
    digest = hashlib.sha256(f"{resource_id}|{user}|{score['scoreGiven']}|{stamp}".encode()).hexdigest()[:40]
    return GradeInput(source=source, learner=learner_of(user), design=design, assessment=resource_id,
                      score=float(score["scoreGiven"]), maximum=float(score.get("scoreMaximum") or 0),
                      event_id=f"score:{digest}", context=context, occurred_at=parse_time(stamp),
                      payload=dict(score))


POLL_CHUNK = 5_000  # results recorded per transaction: a MOOC's poll holds one line item and one chunk at a time


@dataclass
class Polled:
    """What one poll of a course recorded."""

    grades: int = 0
    duplicates: int = 0  # unchanged results read again
    awarded: int = 0  # awards decided now


def poll_context(db: Database, reader: ResultsReader, *, design: str, source: str, context: str,
                 learner_of: Callable[[str], str], cfg: AwardSettings,
                 stats: dict[str, int] | None = None) -> Polled:
    """One scheduled AGS pass over a context, recorded POLL_CHUNK results per transaction as they are read: a
    100,000-learner course is 300,000 results, which held at once took 1.8 GB. A failure part-way keeps what was
    recorded; the next pass reads it again as replays (the event ids are digests of the results)."""
    with db.session() as session:
        rules = service.load_rules(session, policy_of(cfg))
    polled = Polled()
    grades = ags_grades(reader, rules, design=design, source=source, context=context, learner_of=learner_of,
                        stats=stats)
    while chunk := list(islice(grades, POLL_CHUNK)):
        with db.session() as session:
            outcomes = service.record_many(session, rules, chunk, policy=policy_of(cfg),
                                           max_attempts=cfg.max_attempts)
        polled.grades += len(outcomes)
        polled.duplicates += sum(o.duplicate for o in outcomes)
        polled.awarded += sum(len(o.awarded) for o in outcomes)
    return polled


def remember_target(session: Session, *, context: str, design: str, source: str, issuer: str, client_id: str,
                    endpoint: Mapping[str, Any], roster: Mapping[str, Any] | None = None, root: bool = True,
                    rules: AwardRules | None = None, now: datetime | None = None) -> None:
    """Keep the AGS endpoint (and roster service) of a course context, so that the scheduled poll can read its
    results (and learners' names) later.

    The course's design is the widest one seen: the claim link's (``root``) or one whose assessments include
    the known design's; an assessment link of one micro-credential does not narrow a stack already known.
    """
    now = now or utcnow()
    target = session.get(AgsTarget, context)
    if target is None:
        session.add(AgsTarget(context=context, design=design, source=source, issuer=issuer, client_id=client_id,
                              endpoint=dict(endpoint), roster=dict(roster) if roster else None, updated_at=now))
        return
    if target.design != design and not root:
        try:
            known = rules or service.load_rules(session)
            root = set(known.assessments(design)) > set(known.assessments(target.design))
        except LeadsError:
            root = False
    if root:
        target.design = design
    target.source, target.issuer, target.client_id = source, issuer, client_id
    target.endpoint, target.updated_at = dict(endpoint), now
    if roster:
        target.roster = dict(roster)



class RosterReader(Protocol):
    def members(self) -> list[dict[str, Any]]: ...


@dataclass
class PollReport:
    """What one course's poll did, in words for the operator (`leads awards poll`)."""

    context: str
    title: str | None
    design: str
    line_items: int = 0
    results: int = 0
    awarded: int = 0
    names: int = 0
    released: int = 0
    waiting: int = 0
    notes: list[str] = field(default_factory=list)
    failed: bool = False

    def text(self) -> str:
        course = f"{self.title} ({self.context})" if self.title else self.context
        if self.failed:
            return f"{course}: " + "; ".join(self.notes)
        parts = [f"design {self.design}", f"{self.line_items} LEADS line item(s)", f"{self.results} result(s)",
                 f"{self.awarded} new award(s)"]
        if self.names:
            parts.append(f"{self.names} name(s) from the roster")
        if self.released:
            parts.append(f"{self.released} award(s) released for signing now that a name is known")
        if self.waiting:
            parts.append(f"{self.waiting} award(s) waiting for the learner's name")
        return f"{course}: " + ", ".join(parts) + "".join(f"; {n}" for n in self.notes)


def _roster_people(source: str, members: list[dict[str, Any]]) -> list[tuple[str, object, object]]:
    out: list[tuple[str, object, object]] = []
    for m in members:
        user = m.get("user_id")
        if not user:
            continue
        name = m.get("name") or " ".join(str(m[k]) for k in ("given_name", "family_name") if m.get(k))
        out.append((people.learner_key(source, str(user)), name, m.get("email")))
    return out


def poll_targets(db: Database, reader_for: Callable[[AgsTarget], ResultsReader], *, context: str | None = None,
                 cfg: AwardSettings,
                 roster_for: Callable[[AgsTarget], RosterReader] | None = None,
                 progress: Callable[[int, int], None] | None = None) -> dict[str, PollReport]:
    """The scheduled AGS pass (`leads awards poll`, e.g. from cron): every remembered context, or one.

    The course roster (NRPS) is read first, so learners who never opened LEADS get their names before their awards
    are decided (and awards that waited for a name, e.g. from LMS webhooks, are released). A context whose
    platform fails is reported and skipped; the others are still polled. Nothing to poll is an error that says why.
    """
    with db.session() as session:
        stmt = select(AgsTarget).order_by(AgsTarget.context)
        if context is not None:
            stmt = stmt.where(AgsTarget.context == context)
        targets = list(session.scalars(stmt))
        titles = people.titles_of(session, [t.context for t in targets])
    if context is not None and not targets:
        raise LeadsError(f"no grade service is known for context {context!r}: a course becomes known when anyone "
                         "launches a LEADS link from it", code="unknown_context", status=404)
    if not targets:
        raise LeadsError("nothing to poll: no course is known yet. A course becomes known when anyone (learner or "
                         "instructor) launches a LEADS link from it with the grade service (AGS) enabled",
                         code="nothing_to_poll", status=404)
    reports: dict[str, PollReport] = {}
    for done, target in enumerate(targets):
        if progress is not None:
            progress(done, len(targets))
        report = reports[target.context] = PollReport(target.context, titles.get(target.context), target.design)
        if roster_for is not None and target.roster:
            try:
                found = _roster_people(target.source, roster_for(target).members())
                with db.session() as session:
                    report.released = people.remember_people(session, found, origin="roster")
                report.names = sum(1 for _, name, _ in found if people.clean_name(name))
            except Exception as exc:  # the roster is a help, not a condition: grades are still read
                log.warning("roster of %s failed: %s", target.context, exc)
                report.notes.append(f"roster not read: {exc.__class__.__name__}: {exc}")
        elif not target.roster:
            report.notes.append("no roster service (NRPS) offered: names come from launches or the instructor")
        stats: dict[str, int] = {}
        try:
            polled = poll_context(db, reader_for(target), design=target.design, source=f"ags:{target.source}",
                                    context=target.context, learner_of=partial(people.learner_key, target.source),
                                    cfg=cfg, stats=stats)
        except Exception as exc:  # one unreachable platform must not stop the others
            log.warning("AGS poll of %s failed: %s", target.context, exc)
            metrics.AGS_POLLS.labels("failed").inc()
            report.failed = True
            report.notes.append(f"failed: {exc.__class__.__name__}: {exc}")
            continue
        metrics.AGS_POLLS.labels("ok").inc()
        report.line_items, report.results = stats.get("line_items", 0), stats.get("results", 0)
        report.awarded = polled.awarded
        if not report.line_items:
            report.notes.append("none of the course's line items is a LEADS assessment (resource id or ID number)")
        with db.session() as session:
            session.execute(update(AgsTarget).where(AgsTarget.context == target.context).values(polled_at=utcnow()))
            report.waiting = int(session.scalar(select(func.count()).select_from(Award).where(
                Award.context == target.context, Award.state == people.NEEDS_NAME)) or 0)
    if progress is not None:
        progress(len(targets), len(targets))
    return reports


def lti_reader_for(tool: Any) -> Callable[[AgsTarget], ResultsReader]:
    """Real AGS clients for remembered targets, from the LTI tool's registrations, keys and token cache."""
    from lti.services import AgsClient

    def reader(target: AgsTarget) -> ResultsReader:
        return AgsClient(target.endpoint, _tokens(tool, target))

    return reader


def lti_roster_for(tool: Any) -> Callable[[AgsTarget], RosterReader]:
    """Real NRPS clients (the course roster) for remembered targets."""
    from lti.services import NrpsClient

    def roster(target: AgsTarget) -> RosterReader:
        return NrpsClient(target.roster or {}, _tokens(tool, target))

    return roster


def _tokens(tool: Any, target: AgsTarget) -> Any:
    from lti.services import TokenClient

    platform = tool.config.find(target.issuer, target.client_id)
    if platform is None:
        raise LeadsError(f"the platform {target.issuer!r} of context {target.context!r} is no longer registered",
                         code="unknown_platform", status=404)
    return TokenClient(platform, tool.keys, tool.http, tool.tokens, tool.context.clock)


# -- claim your certificate ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimResult:
    decision: Decision
    awards: list[Award] = field(default_factory=list)

    @property
    def missing(self) -> tuple[Missing, ...]:
        return self.decision.missing


def claim(db: Database, reader: ResultsReader | None, *, learner: str, user_id: str, design: str, source: str,
          context: str, learner_name: str | None = None, learner_email: str | None = None,
          cfg: AwardSettings) -> ClaimResult:
    """Check this learner's grades through AGS now, award what is earned (issued by a worker), say what is missing."""
    with db.session() as session:
        rules = service.load_rules(session, policy_of(cfg))
    grades = [] if reader is None else grades_from_ags(
        reader, rules, design=design, source=source, context=context, learner_of=lambda _u: learner,
        user_id=user_id, names={user_id: (learner_name, learner_email)})
    with db.session() as session:
        service.record_many(session, rules, grades, policy=policy_of(cfg), max_attempts=cfg.max_attempts)
        decision = service.evaluate(session, rules, learner, design, policy=policy_of(cfg))
        return ClaimResult(decision, service.awards_of(session, learner, design))


# -- webhooks ----------------------------------------------------------------------------------------------------


def course_resolver(session: Session) -> webhooks.CourseResolver:
    """LMS course id → design: course entities' URLs (Moodle ``…/view.php?id=N``, Open edX course keys), then the
    courses LEADS generated (``course_links``)."""
    table: dict[tuple[str, str], str] = {}
    for course in index_in(session).all(Course):
        if not course.design:
            continue
        table[(course.lms or "", course.key)] = course.design
        if course.url:
            parts = urlsplit(course.url)
            for value in parse_qs(parts.query).get("id", []):
                table[("moodle", value)] = course.design
            for segment in parts.path.split("/"):
                if segment.startswith("course-v1:"):
                    table[("openedx", segment)] = course.design

    for link in CourseLinks(session).list():
        if link.remote_id:
            table.setdefault((link.lms, str(link.remote_id)), link.design_key)

    def resolve(lms: str, course_id: str) -> str | None:
        kind = "moodle" if lms.startswith("moodle") else "openedx" if lms.startswith("openedx") else lms
        return table.get((kind, course_id)) or table.get((lms, course_id))

    return resolve


def receive_webhook(db: Database, lms: str, headers: Mapping[str, str], body: bytes, *,
                    cfg: AwardSettings, now: datetime | None = None) -> dict[str, Any]:
    """Verify, store the event id once, and record what the event means, in one transaction."""
    now = now or utcnow()
    lowered = {k.lower(): v for k, v in headers.items()}
    webhooks.verify(cfg.webhook_secrets, lms, lowered, body, now, cfg.webhook_tolerance_seconds)
    try:
        payload = jsonbound.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LeadsError(f"the body is not JSON: {exc}", code="invalid_json", status=422) from None
    except JsonTooDeep as exc:
        raise LeadsError(exc.message, code=exc.code, status=400) from None
    with db.session() as session:
        service.write_lock(session)
        signal = webhooks.parse(lms, payload, lowered, course_resolver(session))
        stored = session.execute(service._insert(session, WebhookReceipt).values(
            source=lms, event_id=signal.event_id, received_at=now).on_conflict_do_nothing()
            .returning(WebhookReceipt.event_id)).scalar_one_or_none()
        body_out: dict[str, Any] = {"event_id": signal.event_id, "event_type": signal.event_type}
        if stored is None:
            return {**body_out, "status": "duplicate"}
        if signal.grade is None:
            return {**body_out, "status": "receipted", "note": signal.note}
        if signal.grade.learner_name:  # the event names the learner (Open edX PII): their waiting awards go too
            people.remember_person(session, signal.grade.learner, signal.grade.learner_name,
                                   signal.grade.learner_email, origin="event", now=now)
        if signal.grade.context and signal.course_title:
            people.remember_context(session, signal.grade.context, signal.course_title, now)
        rules = service.load_rules(session, policy_of(cfg))
        outcome = service.record(session, rules, signal.grade, policy=policy_of(cfg), max_attempts=cfg.max_attempts,
                                 now=now)
        return {**body_out, "status": "recorded", "awarded": list(outcome.decision.award),
                "missing": [m.text() for m in outcome.decision.missing]}
