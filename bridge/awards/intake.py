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

    Incremental by construction: a result equal to the latest grade stored for it is a replay and stored once; a
    changed score is a new event, also one back at an earlier value (``GradeInput.replay``).

    With ``user_id`` only that learner's results are kept: a platform may ignore ``?user_id=`` and answer the whole
    class (Open edX's lti_consumer reads the user from the path), and a classmate's score is never the claimant's.
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
            if user_id is not None and str(user) != user_id:
                continue  # another learner's, answered by a platform that ignored ?user_id=
            maximum = result.get("resultMaximum", 1)  # AGS: absent means 1
            digest = hashlib.sha256(f"{item['id']}|{user}|{score}|{maximum}".encode()).hexdigest()[:40]
            name, email = (names or {}).get(str(user), (None, None))
            yield GradeInput(source=source, learner=learner_of(str(user)), design=design, assessment=str(key),
                             score=float(score), maximum=float(maximum), event_id=f"ags:{digest}", context=context,
                             learner_name=name, learner_email=email, replay="latest",
                             payload={"lineItem": item["id"], "result": result})


ID_NUMBER_PREFIX = webhooks.ID_NUMBER_PREFIX


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


@dataclass(frozen=True)
class Skipped:
    """A result LEADS cannot scale (a negative score, a maximum of 0), left out so that the rest is recorded."""

    learner: str
    line_item: str
    score: float | None
    maximum: float | None
    reason: str

    def text(self) -> str:
        return f"{self.learner} on {self.line_item}: {self.score} of {self.maximum} ({self.reason})"


SKIPPED_NAMED = 20  # a poll names this many skipped results (a line item with maximum 0 may skip a whole MOOC)


def _skipped(refused: Iterable[service.Refused]) -> list[Skipped]:
    return [Skipped(r.grade.learner, str(r.grade.payload.get("lineItem") or r.grade.assessment or ""),
                    r.grade.score, r.grade.maximum, r.reason) for r in refused]


@dataclass
class Polled:
    """What one poll of a course recorded."""

    grades: int = 0
    duplicates: int = 0  # unchanged results read again
    awarded: int = 0  # awards decided now
    skipped: int = 0  # results LEADS cannot scale, not recorded
    skipped_results: list[Skipped] = field(default_factory=list)  # the first SKIPPED_NAMED of them


def poll_context(db: Database, reader: ResultsReader, *, design: str, source: str, context: str,
                 learner_of: Callable[[str], str], cfg: AwardSettings,
                 stats: dict[str, int] | None = None) -> Polled:
    """One scheduled AGS pass over a context, recorded POLL_CHUNK results per transaction as they are read: a
    100,000-learner course is 300,000 results, which held at once took 1.8 GB. A failure part-way keeps what was
    recorded; the next pass reads it again as replays (equal to the latest grades stored). A result LEADS cannot
    scale is skipped and named (``Polled.skipped_results``), not allowed to stop the course at every pass."""
    with db.session() as session:
        rules = service.load_rules(session, policy_of(cfg))
    polled = Polled()
    grades = ags_grades(reader, rules, design=design, source=source, context=context, learner_of=learner_of,
                        stats=stats)
    while chunk := list(islice(grades, POLL_CHUNK)):
        chunk, refused = service.scalable(chunk, rules)
        if refused:
            skipped = _skipped(refused)
            log.warning("AGS poll of %s: %d result(s) skipped, LEADS cannot scale them: %s", context, len(skipped),
                        "; ".join(s.text() for s in skipped[:SKIPPED_NAMED]))
            polled.skipped += len(skipped)
            polled.skipped_results += skipped[:SKIPPED_NAMED - len(polled.skipped_results)]
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
    """Keep the AGS endpoint (and roster service) of a course context and the designs linked in it, so that the
    scheduled poll can read their results (and learners' names) later.

    One row per (context, design): a course may link several micro-credentials, each with its claim link, and the
    poll reads each. A design stacked under one already kept (a part's assessment link in a certificate's course) adds
    none, since polling the stack decides its parts too; a stack arriving drops the rows of its parts. With rules
    that cannot be read, only a claim link (``root``) or a course's first launch adds a design.
    """
    now = now or utcnow()
    kept = {t.design: t for t in session.scalars(select(AgsTarget).where(AgsTarget.context == context))}
    for target in kept.values():  # one course, one endpoint: every row of it gets the latest
        target.source, target.issuer, target.client_id = source, issuer, client_id
        target.endpoint, target.updated_at = dict(endpoint), now
        if roster:
            target.roster = dict(roster)
    if design in kept:
        return
    try:
        known = rules or service.load_rules(session)
        trees = {key: known.tree(key) for key in (*kept, design) if key in known.designs}
    except LeadsError:
        trees = None
    if trees is None or design not in trees:
        if kept and not root:
            return
    elif any(design in trees.get(key, ()) for key in kept):
        return  # a stack kept here covers it
    else:
        for key in kept:
            if key in trees[design]:
                session.delete(kept[key])  # a part of the new stack: polling the stack decides it
    session.add(AgsTarget(context=context, design=design, source=source, issuer=issuer, client_id=client_id,
                          endpoint=dict(endpoint), roster=dict(roster) if roster else None, updated_at=now))


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
                 progress: Callable[[int, int], None] | None = None) -> dict[tuple[str, str], PollReport]:
    """The scheduled AGS pass (`leads awards poll`, e.g. from cron): every remembered context, or one; each design
    linked in a course is read (one report per context and design).

    The course roster (NRPS) is read first, once per course, so learners who never opened LEADS get their names
    before their awards are decided (and awards that waited for a name, e.g. from LMS webhooks, are released). A
    context whose platform fails is reported and skipped; the others are still polled. Nothing to poll is an error
    that says why.
    """
    with db.session() as session:
        stmt = select(AgsTarget).order_by(AgsTarget.context, AgsTarget.design)
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
    reports: dict[tuple[str, str], PollReport] = {}
    rostered: set[str] = set()
    for done, target in enumerate(targets):
        if progress is not None:
            progress(done, len(targets))
        report = reports[(target.context, target.design)] = PollReport(
            target.context, titles.get(target.context), target.design)
        if target.context in rostered:
            pass  # the course's roster was read for its first design
        elif roster_for is not None and target.roster:
            rostered.add(target.context)
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
        note_skipped(report, polled)
        if not report.line_items:
            report.notes.append("none of the course's line items is a LEADS assessment (resource id or ID number)")
        with db.session() as session:
            session.execute(update(AgsTarget).where(AgsTarget.context == target.context,
                                                    AgsTarget.design == target.design).values(polled_at=utcnow()))
            report.waiting = int(session.scalar(select(func.count()).select_from(Award).where(
                Award.context == target.context, Award.design == target.design,
                Award.state == people.NEEDS_NAME)) or 0)
    if progress is not None:
        progress(len(targets), len(targets))
    return reports


def note_skipped(report: PollReport, polled: Polled) -> None:
    """Name the results the poll left out, so the instructor can correct them in the gradebook."""
    if polled.skipped:
        named = "; ".join(s.text() for s in polled.skipped_results)
        more = polled.skipped - len(polled.skipped_results)
        report.notes.append(f"{polled.skipped} result(s) skipped, LEADS cannot scale them (correct them in the "
                            f"gradebook): {named}" + (f"; and {more} more" if more > 0 else ""))


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
    skipped: list[Skipped] = field(default_factory=list)  # this learner's results LEADS cannot scale

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
    grades, refused = service.scalable(grades, rules)
    skipped = _skipped(refused)
    if skipped:
        log.warning("claim of %s in %s: result(s) skipped, LEADS cannot scale them: %s", learner, context,
                    "; ".join(s.text() for s in skipped))
    with db.session() as session:
        service.record_many(session, rules, grades, policy=policy_of(cfg), max_attempts=cfg.max_attempts)
        decision = service.evaluate(session, rules, learner, design, policy=policy_of(cfg))
        return ClaimResult(decision, service.awards_of(session, learner, design), skipped)


# -- webhooks ----------------------------------------------------------------------------------------------------


def site_of(url: str) -> str | None:
    """The site a URL belongs to, spelt one way: ``scheme://host[:port][/path]`` lower-cased, without the default
    port or a trailing slash, cut before the course's own path (a Moodle ``wwwroot`` may have a path:
    ``https://example.org/moodle/course/view.php?id=2`` → ``https://example.org/moodle``)."""
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.hostname:
        return None
    host = parts.hostname + (f":{parts.port}" if parts.port and (parts.scheme.lower(), parts.port) not in (
        ("https", 443), ("http", 80)) else "")
    path = parts.path
    for mark in ("/course/", "/courses/"):  # Moodle's course/view.php, Open edX's LMS courses/…, Studio's course/…
        if mark in f"{path}/":
            path = f"{path}/"[:f"{path}/".index(mark)]
            break
    return f"{parts.scheme.lower()}://{host}{path.rstrip('/')}"


def sites_of_sources(cfg: AwardSettings) -> dict[str, frozenset[str]]:
    """Which site each LMS source is: the LTI issuers mapped to it (``LEADS_AWARDS_LMS_SOURCES``; a Moodle site's
    issuer is its ``wwwroot``)."""
    sites: dict[str, set[str]] = {}
    for issuer, source in cfg.lms_sources.items():
        site = site_of(issuer)
        if site:
            sites.setdefault(source, set()).add(site)
    return {source: frozenset(found) for source, found in sites.items()}


@dataclass(frozen=True)
class _Linked:
    design: str
    site: str | None  # None: the course's URL does not say
    rank: int  # 0 a course entity of the data space, 1 a course LEADS generated (the entity wins)


def course_resolver(session: Session, sites: Mapping[str, Collection[str]] | None = None) -> webhooks.CourseResolver:
    """LMS course id → design, on the site the event comes from: a Moodle course id or an Open edX course key is
    only unique within one site. Course entities' URLs (Moodle ``…/view.php?id=N``, Open edX course keys) and the
    courses LEADS generated (``course_links``, their URL on the target) say the site of each course; the event's
    ``wwwroot``, else the source's site (``sites``, from ``sites_of_sources``), say the sender's. An id on several
    sites with different designs is refused when the sender's site is unknown, never guessed."""
    table: dict[tuple[str, str], list[_Linked]] = {}
    for course in index_in(session).all(Course):
        if not course.design:
            continue
        site = site_of(course.url) if course.url else None
        table.setdefault((course.lms or "", course.key), []).append(_Linked(course.design, site, 0))
        if course.url:
            parts = urlsplit(course.url)
            for value in parse_qs(parts.query).get("id", []):
                table.setdefault(("moodle", value), []).append(_Linked(course.design, site, 0))
            for segment in parts.path.split("/"):
                if segment.startswith("course-v1:"):
                    table.setdefault(("openedx", segment), []).append(_Linked(course.design, site, 0))
    for link in CourseLinks(session).list():
        if link.remote_id:
            site = site_of(link.url) if link.url else None
            table.setdefault((link.lms, str(link.remote_id)), []).append(_Linked(link.design_key, site, 1))
    configured = {source: frozenset(found) for source, found in (sites or {}).items()}

    def resolve(lms: str, course_id: str, reported: str | None) -> str | None:
        kind = "moodle" if lms.startswith("moodle") else "openedx" if lms.startswith("openedx") else lms
        found = table.get((kind, course_id), []) + (table.get((lms, course_id), []) if lms != kind else [])
        if not found:
            return None
        mine = configured.get(lms, frozenset())
        said = site_of(reported) if reported else None
        if reported and (said is None or (mine and said not in mine)):
            raise webhooks.WebhookRefused(
                "the event says it comes from %(site)s, but source '%(lms)s' is %(sites)s "
                "(LEADS_AWARDS_LMS_SOURCES); give each site its own source name and secret",
                "wrong_site", 422, params={"site": reported, "lms": lms, "sites": ", ".join(sorted(mine)) or "?"})
        here = {said} if said else mine
        if here:
            on_site = [c for c in found if c.site in here] or [c for c in found if c.site is None]
            if not on_site:
                raise webhooks.WebhookRefused(
                    "course '%(course)s' of %(site)s (source '%(lms)s') is not linked to a credential design; "
                    "the data space links that course id on %(others)s only. Add a course entity with this "
                    "site's course URL, or, if that is the same site, map its URL to '%(lms)s' in "
                    "LEADS_AWARDS_LMS_SOURCES", "unknown_course", 422,
                    params={"course": course_id, "site": ", ".join(sorted(here)), "lms": lms,
                            "others": ", ".join(sorted({c.site for c in found if c.site}))})
            found = on_site
        elif len({c.design for c in found}) > 1 and len({c.site for c in found if c.site}) > 1:
            raise webhooks.WebhookRefused(
                "course '%(course)s' of source '%(lms)s' matches courses on several sites (%(sites)s) with "
                "different designs; say which site '%(lms)s' is: map its URL to '%(lms)s' in "
                "LEADS_AWARDS_LMS_SOURCES (JSON, e.g. {\"https://moodle.example.org\": \"%(lms)s\"}), or send "
                "the site's wwwroot in the event (docs/lms-events.md)", "ambiguous_course", 422,
                params={"course": course_id, "lms": lms,
                        "sites": ", ".join(sorted({c.site for c in found if c.site}))})
        best = min(c.rank for c in found)
        return next(c.design for c in found if c.rank == best)

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
        rules = service.load_rules(session, policy_of(cfg))
        signal = webhooks.parse(lms, payload, lowered, course_resolver(session, sites_of_sources(cfg)),
                                rules.assessments)
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
        outcome = service.record(session, rules, signal.grade, policy=policy_of(cfg), max_attempts=cfg.max_attempts,
                                 now=now)
        return {**body_out, "status": "recorded", "awarded": list(outcome.decision.award),
                "missing": [m.text() for m in outcome.decision.missing]}
