"""Grade intake paths, all ending in ``service.record_many``: AGS results and scores, the claim link, webhooks.

The AGS client is injected (``ResultsReader``: the LTI package's ``AgsClient`` fits), so the same code reads a
real platform and the loopback fake in tests.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs, quote, urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bridge.awards import service, webhooks
from bridge.awards.config import AwardSettings
from bridge.awards.rules import AwardRules, Decision, Missing
from bridge.awards.service import GradeInput
from bridge.awards.tables import AgsTarget, Award, WebhookReceipt
from bridge.dataspace.model import Course, Kind
from bridge.dataspace.repository import EntityRepository
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

    def results(self, line_item_url: str, user_id: str | None = None) -> list[dict[str, Any]]: ...


if TYPE_CHECKING:  # the LTI package's AGS client is a ResultsReader (checked by mypy)
    from lti.services import AgsClient

    def _fits(client: AgsClient) -> ResultsReader:
        return client


def grades_from_ags(reader: ResultsReader, rules: AwardRules, *, design: str, source: str, context: str,
                    learner_of: Callable[[str], str], user_id: str | None = None,
                    names: Mapping[str, tuple[str | None, str | None]] | None = None) -> list[GradeInput]:
    """The results of LEADS's own line items (``resourceId`` = assessment key) as grade inputs.

    Incremental by construction: the event id is a digest of the line item, user and score, so an unchanged
    result read again is a replay and stored once; a changed score is a new event.
    """
    wanted = rules.assessments(design)
    grades: list[GradeInput] = []
    for item in reader.line_items():
        key = item.get("resourceId")
        if key not in wanted or not item.get("id"):
            continue
        for result in reader.results(str(item["id"]), user_id):
            score, user = result.get("resultScore"), result.get("userId")
            if score is None or not user:
                continue  # not graded yet
            maximum = result.get("resultMaximum", 1)  # AGS: absent means 1
            digest = hashlib.sha256(f"{item['id']}|{user}|{score}|{maximum}".encode()).hexdigest()[:40]
            name, email = (names or {}).get(str(user), (None, None))
            grades.append(GradeInput(source=source, learner=learner_of(str(user)), design=design,
                                     assessment=str(key), score=float(score), maximum=float(maximum),
                                     event_id=f"ags:{digest}", context=context, learner_name=name,
                                     learner_email=email, payload={"lineItem": item["id"], "result": result}))
    return grades


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


def poll_context(db: Database, reader: ResultsReader, *, design: str, source: str, context: str,
                 learner_of: Callable[[str], str], cfg: AwardSettings | None = None) -> list[service.Outcome]:
    """One scheduled AGS pass over a context: read, then record in one transaction."""
    cfg = cfg or AwardSettings()
    with db.session() as session:
        rules = service.load_rules(session, cfg.policy)
    grades = grades_from_ags(reader, rules, design=design, source=source, context=context, learner_of=learner_of)
    with db.session() as session:
        return service.record_many(session, rules, grades, policy=cfg.policy, max_attempts=cfg.max_attempts)


def _learner_key(source: str, user_id: str) -> str:
    """The learner as the launch pages name them: ``<source>:<LTI sub>``."""
    return f"{source}:{quote(user_id, safe='')}"


def remember_target(session: Session, *, context: str, design: str, source: str, issuer: str, client_id: str,
                    endpoint: Mapping[str, Any], now: datetime | None = None) -> None:
    """Keep the AGS endpoint of a course context, so that the scheduled poll can read its results later."""
    now = now or utcnow()
    target = session.get(AgsTarget, context)
    if target is None:
        session.add(AgsTarget(context=context, design=design, source=source, issuer=issuer, client_id=client_id,
                              endpoint=dict(endpoint), updated_at=now))
    else:
        target.design, target.source, target.issuer, target.client_id = design, source, issuer, client_id
        target.endpoint, target.updated_at = dict(endpoint), now


def poll_targets(db: Database, reader_for: Callable[[AgsTarget], ResultsReader], *, context: str | None = None,
                 cfg: AwardSettings | None = None) -> dict[str, str]:
    """The scheduled AGS pass (`leads awards poll`, e.g. from cron): every remembered context, or one.

    A context whose platform fails is reported and skipped; the others are still polled.
    """
    with db.session() as session:
        stmt = select(AgsTarget).order_by(AgsTarget.context)
        if context is not None:
            stmt = stmt.where(AgsTarget.context == context)
        targets = list(session.scalars(stmt))
    if context is not None and not targets:
        raise LeadsError(f"no AGS endpoint is known for context {context!r}: it is learned when a learner or an "
                         "instructor opens LEADS from that course", code="unknown_context", status=404)
    report: dict[str, str] = {}
    for target in targets:
        try:
            outcomes = poll_context(db, reader_for(target), design=target.design, source=f"ags:{target.source}",
                                    context=target.context, learner_of=partial(_learner_key, target.source), cfg=cfg)
        except Exception as exc:  # one unreachable platform must not stop the others
            log.warning("AGS poll of %s failed: %s", target.context, exc)
            report[target.context] = f"failed: {exc.__class__.__name__}: {exc}"
            continue
        report[target.context] = f"{sum(len(o.awarded) for o in outcomes)} new award(s)"
        with db.session() as session:
            session.execute(update(AgsTarget).where(AgsTarget.context == target.context).values(polled_at=utcnow()))
    return report


def lti_reader_for(tool: Any) -> Callable[[AgsTarget], ResultsReader]:
    """Real AGS clients for remembered targets, from the LTI tool's registrations, keys and token cache."""
    from lti.services import AgsClient, TokenClient

    def reader(target: AgsTarget) -> ResultsReader:
        platform = tool.config.find(target.issuer, target.client_id)
        if platform is None:
            raise LeadsError(f"the platform {target.issuer!r} of context {target.context!r} is no longer registered",
                             code="unknown_platform", status=404)
        tokens = TokenClient(platform, tool.keys, tool.http, tool.tokens, tool.context.clock)
        return AgsClient(target.endpoint, tokens)

    return reader


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
          cfg: AwardSettings | None = None) -> ClaimResult:
    """Check this learner's grades through AGS now, award what is earned (issued by a worker), say what is missing."""
    cfg = cfg or AwardSettings()
    with db.session() as session:
        rules = service.load_rules(session, cfg.policy)
    grades = [] if reader is None else grades_from_ags(
        reader, rules, design=design, source=source, context=context, learner_of=lambda _u: learner,
        user_id=user_id, names={user_id: (learner_name, learner_email)})
    with db.session() as session:
        service.record_many(session, rules, grades, policy=cfg.policy, max_attempts=cfg.max_attempts)
        decision = service.evaluate(session, rules, learner, design, policy=cfg.policy)
        return ClaimResult(decision, service.awards_of(session, learner, design))


# -- webhooks ----------------------------------------------------------------------------------------------------


def course_resolver(session: Session) -> webhooks.CourseResolver:
    """LMS course id → design: course entities' URLs (Moodle ``…/view.php?id=N``, Open edX course keys), then the
    courses LEADS generated (``course_links``)."""
    table: dict[tuple[str, str], str] = {}
    for course in EntityRepository(session).list(Kind.COURSE):
        if not isinstance(course, Course) or not course.design:
            continue
        table[(course.lms or "", course.key)] = course.design
        if course.url:
            parts = urlsplit(course.url)
            for value in parse_qs(parts.query).get("id", []):
                table[("moodle", value)] = course.design
            for segment in parts.path.split("/"):
                if segment.startswith("course-v1:"):
                    table[("openedx", segment)] = course.design

    from bridge.courses.store import CourseLinks  # courses LEADS generated in an LMS

    for link in CourseLinks(session).list():
        if link.remote_id:
            table.setdefault((link.lms, str(link.remote_id)), link.design_key)

    def resolve(lms: str, course_id: str) -> str | None:
        kind = "moodle" if lms.startswith("moodle") else "openedx" if lms.startswith("openedx") else lms
        return table.get((kind, course_id)) or table.get((lms, course_id))

    return resolve


def receive_webhook(db: Database, lms: str, headers: Mapping[str, str], body: bytes, *,
                    cfg: AwardSettings | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Verify, store the event id once, and record what the event means, in one transaction."""
    cfg = cfg or AwardSettings()
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
        rules = service.load_rules(session, cfg.policy)
        outcome = service.record(session, rules, signal.grade, policy=cfg.policy, max_attempts=cfg.max_attempts,
                                 now=now)
        return {**body_out, "status": "recorded", "awarded": list(outcome.decision.award),
                "missing": [m.text() for m in outcome.decision.missing]}
