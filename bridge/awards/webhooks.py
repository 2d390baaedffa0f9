"""LMS push: signed webhook deliveries from Moodle and Open edX, turned into grade inputs.

Signature: ``X-Leads-Timestamp: <unix seconds>`` and ``X-Leads-Signature: sha256=<hex>``, the HMAC-SHA256 of
``<timestamp>.<raw body>`` with the secret of that LMS source (``LEADS_AWARDS_WEBHOOK_SECRETS``). A delivery
older or newer than the tolerance window is refused (replay of a captured request); an event id is accepted
once (``webhook_receipts``), so a replay inside the window is recognised too.

Events understood (docs/lms-events.md says how each LMS is set up to send them):
- Moodle ``\\core\\event\\course_completed`` → the course is passed;
- Moodle ``\\core\\event\\user_graded`` → a score, when the grade item's ``idnumber`` (the assessment key) and
  ``grademax`` come with it; otherwise, or when the item is no assessment of the course's design (a teacher's own
  grade item), the event is only receipted (the AGS poll brings LEADS's grades);
- Open edX ``org.openedx.learning.course.passing.status.updated.v1`` (``is_passing`` or ``status``) and
  ``org.openedx.learning.certificate.created.v1`` → the course is passed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr

from bridge.awards.service import GradeInput
from bridge.errors import LeadsError
from issuer.verify.engine import parse_time

SIGNATURE_HEADER = "X-Leads-Signature"
TIMESTAMP_HEADER = "X-Leads-Timestamp"
EVENT_ID_HEADER = "X-Leads-Event-Id"
ID_NUMBER_PREFIX = "leads:"  # how LEADS names its activities and grade items in an LMS (ID number)

MOODLE_COMPLETED = "\\core\\event\\course_completed"
MOODLE_GRADED = "\\core\\event\\user_graded"
OPENEDX_PASSING = "org.openedx.learning.course.passing.status.updated.v1"
OPENEDX_CERTIFICATE = "org.openedx.learning.certificate.created.v1"


class WebhookRefused(LeadsError):
    def __init__(self, message: str, code: str, status: int = 401, params: dict[str, Any] | None = None) -> None:
        super().__init__(message, code=code, status=status, params=params or {})


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(secrets: Mapping[str, SecretStr], lms: str, headers: Mapping[str, str], body: bytes, now: datetime,
           tolerance: int) -> None:
    """Refuse unknown sources, missing or wrong signatures, and timestamps outside the window."""
    secret = secrets.get(lms)
    if secret is None:
        raise WebhookRefused(f"no webhook secret is configured for LMS source {lms!r}; set "
                             f'LEADS_AWARDS_WEBHOOK_SECRETS=\'{{"{lms}": "…"}}\'', "unknown_source", 404)
    stamp = headers.get(TIMESTAMP_HEADER.lower()) or headers.get(TIMESTAMP_HEADER)
    given = headers.get(SIGNATURE_HEADER.lower()) or headers.get(SIGNATURE_HEADER)
    if not stamp or not given:
        raise WebhookRefused(f"the request needs {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers",
                             "signature_missing")
    try:
        sent = int(stamp)
    except ValueError:
        raise WebhookRefused(f"{TIMESTAMP_HEADER} must be Unix seconds, got {stamp!r}", "bad_timestamp") from None
    if abs(now.timestamp() - sent) > tolerance:
        raise WebhookRefused(f"the delivery is {int(now.timestamp() - sent)} s old (window ±{tolerance} s); "
                             "check the sender's clock, or this is a replay", "stale_timestamp")
    expected = sign(secret.get_secret_value(), stamp, body)
    if not hmac.compare_digest(expected.encode(), given.strip().encode("utf-8", "replace")):  # a str must be ASCII
        raise WebhookRefused("the signature does not match the body (HMAC-SHA256 of '<timestamp>.<body>')",
                             "bad_signature")


@dataclass(frozen=True)
class Signal:
    """What an LMS event means for awards; ``grade`` is None when it only needs a receipt."""

    event_id: str
    event_type: str
    course: str
    user: str | None
    grade: GradeInput | None
    note: str = ""
    course_title: str | None = None  # the course's display name, when the event carries it


# (lms source, course id, the site the event names or None) → root design key; refuses what it cannot tell
CourseResolver = Callable[[str, str, str | None], str | None]
Assessments = Callable[[str], Collection[str]]  # design → its assessment keys (the whole tree's)


def _sha(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:40]


def parse(lms: str, payload: Any, headers: Mapping[str, str], resolve: CourseResolver,
          assessments: Assessments | None = None) -> Signal:
    if not isinstance(payload, dict):
        raise WebhookRefused("the body must be a JSON object", "invalid_payload", 422)
    header_id = headers.get(EVENT_ID_HEADER.lower()) or headers.get(EVENT_ID_HEADER)
    if "eventname" in payload:
        return _moodle(lms, payload, header_id, resolve, assessments)
    if isinstance(payload.get("event_metadata"), dict):
        return _openedx(lms, payload, header_id, resolve)
    raise WebhookRefused("not a Moodle event (no 'eventname') nor an Open edX event (no 'event_metadata')",
                         "unknown_event", 422)


def _design(lms: str, course: str, resolve: CourseResolver, site: str | None = None) -> str:
    design = resolve(lms, course, site)
    if design is None:
        raise WebhookRefused(f"course {course!r} of {lms!r} is not linked to a credential design; add a course "
                             "entity with its URL to the data space", "unknown_course", 422)
    return design


def _moodle(lms: str, p: dict[str, Any], header_id: str | None, resolve: CourseResolver,
            assessments: Assessments | None) -> Signal:
    name = str(p["eventname"])
    course = str(p.get("courseid") or "")
    user = p.get("relateduserid") or (p.get("userid") if name == MOODLE_COMPLETED else None)
    site = p.get("wwwroot") if isinstance(p.get("wwwroot"), str) and p.get("wwwroot") else None  # $CFG->wwwroot
    said = [name, p.get("objectid"), user, course, p.get("timecreated"), p.get("other")]
    event_id = header_id or _sha([*said, site] if site else said)  # two sites' like events stay two events
    when = datetime.fromtimestamp(int(p["timecreated"]), UTC) if str(p.get("timecreated", "")).isdigit() else None
    if name not in (MOODLE_COMPLETED, MOODLE_GRADED):
        return Signal(event_id, name, course, None, None, "event not used for awards")
    if not course or not user:
        raise WebhookRefused(f"{name} without courseid or relateduserid", "invalid_payload", 422)
    design = _design(lms, course, resolve, site)
    base: dict[str, Any] = dict(source=f"webhook:{lms}", learner=f"{lms}:{user}", design=design, event_id=event_id,
                                context=f"{lms}:{course}", occurred_at=when, payload=p)
    if name == MOODLE_COMPLETED:
        return Signal(event_id, name, course, str(user), GradeInput(kind="course_passed", **base))
    other = p.get("other") or {}
    key, final, maximum = other.get("itemidnumber"), other.get("finalgrade"), other.get("grademax")
    if not key or final is None or maximum is None:
        return Signal(event_id, name, course, str(user), None,
                      "grade item without idnumber/grademax: the grade arrives through the AGS poll")
    assessment = str(key).strip().removeprefix(ID_NUMBER_PREFIX)  # courses LEADS generates use "leads:<key>"
    if assessments is not None:
        known = assessments(design)
        found = next((k for k in (str(key).strip(), assessment) if k in known), None)
        if found is None:  # a teacher's own grade item: refusing it would have Moodle retry it forever
            return Signal(event_id, name, course, str(user), None,
                          f"grade item {str(key)!r} is not a LEADS assessment of {design!r}: receipted only")
        assessment = found
    return Signal(event_id, name, course, str(user), GradeInput(
        assessment=assessment, score=float(final), maximum=float(maximum), **base))


def _lti_user(p: dict[str, Any]) -> str | None:
    """The person's LTI user id (the ``sub`` Open edX sends in its LTI launches: an ``ExternalId`` of type ``lti``),
    when the forwarder adds it: the same learner as the launches and the grade service then, not a second one keyed
    by the LMS's own user id who would be awarded everything again."""
    value = p.get("lti_user_id")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 255:
        raise WebhookRefused("lti_user_id must be the person's LTI user id (text, at most 255 characters)",
                             "invalid_payload", 422)
    return value.strip()


def _openedx(lms: str, p: dict[str, Any], header_id: str | None, resolve: CourseResolver) -> Signal:
    meta = p["event_metadata"]
    name = str(meta.get("event_type", ""))
    event_id = header_id or str(meta.get("id") or _sha(p))
    data = p.get("course_passing_status") if name == OPENEDX_PASSING else p.get("certificate")
    if name not in (OPENEDX_PASSING, OPENEDX_CERTIFICATE):
        return Signal(event_id, name, "", None, None, "event not used for awards")
    if not isinstance(data, dict):
        key = "course_passing_status" if name == OPENEDX_PASSING else "certificate"
        raise WebhookRefused(f"{name} without its '{key}' data", "invalid_payload", 422)
    user, course_data = data.get("user") or {}, data.get("course") or {}
    course, user_id = str(course_data.get("course_key") or ""), user.get("id")
    if not course or user_id is None:
        raise WebhookRefused(f"{name} without course.course_key or user.id", "invalid_payload", 422)
    if name == OPENEDX_PASSING:
        passing = data.get("is_passing") if "is_passing" in data else data.get("status") == "passing"
        if not passing:
            return Signal(event_id, name, course, str(user_id), None, "not passing: nothing to award")
    pii = user.get("pii") or {}
    when = parse_time(meta.get("time"))
    return Signal(event_id, name, course, str(user_id), GradeInput(
        kind="course_passed", source=f"webhook:{lms}", learner=f"{lms}:{_lti_user(p) or user_id}",
        design=_design(lms, course, resolve), event_id=event_id, context=f"{lms}:{course}",
        learner_name=pii.get("name") or pii.get("username"), learner_email=pii.get("email"), occurred_at=when,
        payload=p), course_title=course_data.get("display_name") or None)
