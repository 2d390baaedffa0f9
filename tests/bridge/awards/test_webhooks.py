"""POST /api/webhooks/{lms}: HMAC signature, timestamp window, replay, and the Moodle / Open edX event shapes."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from bridge.awards import people
from bridge.awards.config import AwardSettings
from bridge.awards.credential_adapters import CredentialsServiceIssuer
from bridge.awards.endpoints import router
from bridge.awards.tables import Award, GradeEvent, Job, WebhookReceipt
from bridge.awards.webhooks import sign
from bridge.awards.worker import Worker
from bridge.credentials.service import CredentialService
from bridge.credentials.tables import IssuedCredentialRow
from bridge.dataspace import service as dataspace
from bridge.db import Database
from bridge.settings import Settings
from bridge.web.errors import install_error_handlers

SECRET = "moodle-secret-for-tests-0123456789"
EDX_SECRET = "openedx-secret-for-tests-987654321"
STACK = "glam-archive-to-commons-certificate"
EDX_COURSE = "course-v1:LEADS+GLAM101+2026"


@pytest.fixture
def client(db: Database, settings: Settings) -> Iterator[TestClient]:
    dataspace.store(db, dataspace.read_design_set_file(dataspace.SAMPLE_DESIGN_SET))
    app = FastAPI()
    app.state.db, app.state.settings = db, settings
    app.state.award_settings = AwardSettings(webhook_secrets={"moodle": SecretStr(SECRET),
                                                              "openedx": SecretStr(EDX_SECRET)})
    install_error_handlers(app)
    app.include_router(router)
    with TestClient(app) as c:
        yield c


def post(client: TestClient, lms: str, payload: Any, *, secret: str = SECRET, stamp: int | None = None,
         signature: str | None = None, raw: bytes | None = None) -> Any:
    body = raw if raw is not None else json.dumps(payload).encode()
    stamp = int(time.time()) if stamp is None else stamp
    headers = {"Content-Type": "application/json", "X-Leads-Timestamp": str(stamp),
               "X-Leads-Signature": signature or sign(secret, stamp, body)}
    return client.post(f"/api/webhooks/{lms}", content=body, headers=headers)


def moodle_completed(user: int = 7, course: str = "2", at: int = 1764000000) -> dict[str, Any]:
    return {"eventname": "\\core\\event\\course_completed", "component": "core", "action": "completed",
            "target": "course", "objecttable": "course_completions", "objectid": 99, "crud": "u", "edulevel": 2,
            "contextid": 30, "contextlevel": 50, "contextinstanceid": course, "userid": user, "courseid": course,
            "relateduserid": user, "anonymous": 0, "other": {"relateduserid": user}, "timecreated": at}


def moodle_graded(other: dict[str, Any], user: int = 8) -> dict[str, Any]:
    return {"eventname": "\\core\\event\\user_graded", "component": "core", "action": "graded", "target": "user",
            "objecttable": "grade_grades", "objectid": 501, "crud": "u", "edulevel": 2, "contextid": 30,
            "contextlevel": 50, "contextinstanceid": "2", "userid": 2, "courseid": "2", "relateduserid": user,
            "anonymous": 0, "other": other, "timecreated": 1764000100}


def edx(event_type: str, key: str, data: dict[str, Any], event_id: str = "9a1f0c9e-0000-4000-8000-000000000001"
        ) -> dict[str, Any]:
    user = {"id": 42, "is_active": True, "pii": {"username": "ada", "email": "ada@example.org",
                                                  "name": "Ada Lovelace"}}
    course = {"course_key": EDX_COURSE, "display_name": "GLAM 101"}
    return {"event_metadata": {"id": event_id, "event_type": event_type, "minorversion": 0,
                               "source": "openedx/lms/web", "sourcehost": "lms.example.org",
                               "time": "2026-11-25T10:00:00+00:00", "sourcelib": [9, 0, 0]},
            key: {"user": user, "course": course, **data}}


def count(db: Database, model: Any) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_moodle_course_completed_awards_the_whole_design_once(client: TestClient, db: Database,
                                                               settings: Settings) -> None:
    r = post(client, "moodle", moodle_completed())
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "recorded" and r.json()["awarded"][-1] == STACK
    # Moodle's event names no one: the awards wait for the learner's name, nothing is queued for signing
    assert count(db, Award) == 4 and count(db, Job) == 0
    with db.session() as session:
        assert {a.state for a in session.scalars(select(Award))} == {"needs_name"}
    again = post(client, "moodle", moodle_completed())  # the LMS retries: new timestamp, same event
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert count(db, Award) == 4 and count(db, GradeEvent) == 1
    with db.session() as session:  # the roster (or a launch, or the instructor) names moodle:7
        assert people.remember_person(session, "moodle:7", "Ada Lovelace", "ada@example.org", origin="roster") == 4
    assert count(db, Job) == 4
    worker = Worker(db, CredentialsServiceIssuer(CredentialService(db, settings)))
    assert worker.run(threading.Event(), once=True) == 4
    with db.session() as session:
        rows = list(session.scalars(select(IssuedCredentialRow)))
    assert len(rows) == 4 and {r.learner_name for r in rows} == {"Ada Lovelace"}
    assert {_name(r.document) for r in rows} == {"Ada Lovelace"}  # the name the credential is issued to


def _name(document: dict[str, Any]) -> str:
    """The holder's name in an OB3 credential (its ``name`` identity object)."""
    [name] = [i["identityHash"] for i in document["credentialSubject"]["identifier"] if i["identityType"] == "name"]
    return str(name)


def test_replay_inside_the_window_is_recognised_by_event_id(client: TestClient, db: Database) -> None:
    body = json.dumps(moodle_completed(user=3)).encode()
    stamp = int(time.time())
    first = post(client, "moodle", None, raw=body, stamp=stamp)
    replay = post(client, "moodle", None, raw=body, stamp=stamp)
    assert (first.json()["status"], replay.json()["status"]) == ("recorded", "duplicate")
    assert count(db, WebhookReceipt) == 1


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"secret": "wrong-secret"}, "bad_signature"),
    ({"stamp": -360}, "stale_timestamp"),
    ({"stamp": +360}, "stale_timestamp"),
    ({"signature": "sha256=00"}, "bad_signature"),
    ({"signature": "sha256=\u00e9".encode("latin-1")}, "bad_signature"),  # not ASCII: a TypeError (a 500) before
])
def test_bad_signatures_and_stale_timestamps_are_refused(client: TestClient, db: Database, kwargs: dict[str, Any],
                                                         code: str) -> None:
    if "stamp" in kwargs:  # an offset from now, taken when the test runs
        kwargs = {"stamp": int(time.time()) + kwargs["stamp"]}
    r = post(client, "moodle", moodle_completed(), **kwargs)
    assert (r.status_code, r.json()["error"]) == (401, code)
    assert count(db, GradeEvent) == count(db, WebhookReceipt) == 0


def test_tampered_body_is_refused(client: TestClient, db: Database) -> None:
    stamp = int(time.time())
    good = json.dumps(moodle_completed(user=1)).encode()
    r = post(client, "moodle", None, raw=json.dumps(moodle_completed(user=666)).encode(), stamp=stamp,
             signature=sign(SECRET, stamp, good))
    assert r.status_code == 401 and count(db, Award) == 0


def test_missing_headers_unknown_source_bad_json_unknown_course(client: TestClient) -> None:
    r = client.post("/api/webhooks/moodle", json=moodle_completed())
    assert (r.status_code, r.json()["error"]) == (401, "signature_missing")
    r = post(client, "canvas", moodle_completed())
    assert (r.status_code, r.json()["error"]) == (404, "unknown_source")
    r = post(client, "moodle", None, raw=b"{not json")
    assert (r.status_code, r.json()["error"]) == (422, "invalid_json")
    r = post(client, "moodle", moodle_completed(course="999"))
    assert (r.status_code, r.json()["error"]) == (422, "unknown_course")
    assert "course entity" in r.json()["message"]


def test_moodle_user_graded_records_a_score_or_waits_for_ags(client: TestClient, db: Database) -> None:
    r = post(client, "moodle", moodle_graded({"itemid": 12, "overridden": False, "finalgrade": 8.0,
                                              "itemidnumber": "leads:glam-as-rights-quiz", "grademax": 10}))
    assert r.json()["status"] == "recorded" and r.json()["awarded"] == ["glam-mc-rights"]
    with db.session() as session:
        event = session.scalars(select(GradeEvent)).one()
        assert (event.learner, event.percent, event.context) == ("moodle:8", 80.0, "moodle:2")
    r = post(client, "moodle", moodle_graded({"itemid": 13, "overridden": False, "finalgrade": 5.0}, user=9))
    assert r.json()["status"] == "receipted" and "AGS" in r.json()["note"]


def test_openedx_passing_status_and_certificate_created(client: TestClient, db: Database) -> None:
    passing = edx("org.openedx.learning.course.passing.status.updated.v1", "course_passing_status",
                  {"is_passing": True})
    r = post(client, "openedx", passing, secret=EDX_SECRET)
    assert r.status_code == 200 and r.json()["status"] == "recorded"
    with db.session() as session:
        award = session.scalars(select(Award).where(Award.achievement == STACK)).one()
        assert (award.learner, award.learner_name, award.learner_email) == ("openedx:42", "Ada Lovelace",
                                                                              "ada@example.org")
    failing = edx("org.openedx.learning.course.passing.status.updated.v1", "course_passing_status",
                  {"status": "failing"}, event_id="9a1f0c9e-0000-4000-8000-000000000002")
    assert post(client, "openedx", failing, secret=EDX_SECRET).json()["status"] == "receipted"
    cert = edx("org.openedx.learning.certificate.created.v1", "certificate",
               {"mode": "honor", "grade": "0.91", "current_status": "downloadable", "download_url": "",
                "name": "Ada Lovelace"}, event_id="9a1f0c9e-0000-4000-8000-000000000003")
    r = post(client, "openedx", cert, secret=EDX_SECRET)
    assert r.json()["status"] == "recorded" and r.json()["awarded"] == []  # already held: nothing twice
    assert count(db, Award) == 4


def test_course_generated_by_leads_is_resolved_through_its_link(client: TestClient, db: Database) -> None:
    from bridge.courses.store import CourseLinks

    with db.session() as session:
        CourseLinks(session).save(STACK, "moodle-main", "moodle", steps={}, status="done", remote_id="77",
                                  url="https://moodle.example.org/course/view.php?id=77", error=None)
    r = post(client, "moodle", moodle_completed(user=5, course="77"))
    assert r.status_code == 200 and r.json()["awarded"][-1] == STACK


SUMMER = "https://summer.moodle.example.net"  # a second Moodle site whose course id 2 leads to one micro-credential
SUMMER_SECRET = "summer-moodle-secret-for-tests-0123"


def two_moodle_sites(client: TestClient, db: Database, lms_sources: dict[str, str]) -> None:
    from bridge.dataspace.api import Course

    design_set = dataspace.read_design_set_file(dataspace.SAMPLE_DESIGN_SET)
    design_set.entities.append(Course(key="summer-school-rights", design="glam-mc-rights", lms="moodle",
                                      url=f"{SUMMER}/course/view.php?id=2", labels={"en": "Summer school: rights"}))
    dataspace.store(db, design_set)
    client.app.state.award_settings = AwardSettings(  # type: ignore[attr-defined]
        webhook_secrets={"moodle": SecretStr(SECRET), "moodle-summer": SecretStr(SUMMER_SECRET)},
        lms_sources=lms_sources)


def test_a_course_id_is_resolved_on_the_site_that_sent_the_event(client: TestClient, db: Database) -> None:
    """Course id 2 exists on two Moodle sites with different designs: each source's site (the LTI issuer mapped to
    it in LEADS_AWARDS_LMS_SOURCES) picks its own course; a wwwroot in the event does it without configuration."""
    two_moodle_sites(client, db, {"https://moodle.example.org": "moodle", SUMMER: "moodle-summer"})
    r = post(client, "moodle-summer", moodle_completed(user=7), secret=SUMMER_SECRET)
    assert r.status_code == 200, r.text
    assert r.json()["awarded"] == ["glam-mc-rights"]
    r = post(client, "moodle", moodle_completed(user=7))
    assert r.status_code == 200 and r.json()["awarded"][-1] == STACK and len(r.json()["awarded"]) == 4
    two_moodle_sites(client, db, {})  # the sites are not configured: the event may say where it comes from
    r = post(client, "moodle-summer", {**moodle_completed(user=9), "wwwroot": SUMMER + "/"}, secret=SUMMER_SECRET)
    assert r.status_code == 200 and r.json()["awarded"] == ["glam-mc-rights"]


def test_an_ambiguous_course_id_is_refused_never_guessed(client: TestClient, db: Database) -> None:
    two_moodle_sites(client, db, {})
    r = post(client, "moodle-summer", moodle_completed(user=7), secret=SUMMER_SECRET)
    assert (r.status_code, r.json()["error"]) == (422, "ambiguous_course")
    assert SUMMER in r.json()["message"] and "LEADS_AWARDS_LMS_SOURCES" in r.json()["message"]
    assert count(db, Award) == count(db, GradeEvent) == count(db, WebhookReceipt) == 0


def test_a_course_linked_only_on_another_site_is_not_this_sites_course(client: TestClient, db: Database) -> None:
    """The sample links course 2 of moodle.example.org only; course 2 of the summer site is not linked at all."""
    client.app.state.award_settings = AwardSettings(  # type: ignore[attr-defined]
        webhook_secrets={"moodle": SecretStr(SECRET), "moodle-summer": SecretStr(SUMMER_SECRET)},
        lms_sources={SUMMER: "moodle-summer"})
    r = post(client, "moodle-summer", moodle_completed(user=7), secret=SUMMER_SECRET)
    assert (r.status_code, r.json()["error"]) == (422, "unknown_course")
    assert "https://moodle.example.org" in r.json()["message"] and count(db, Award) == 0
    r = post(client, "moodle", {**moodle_completed(user=7), "wwwroot": SUMMER}, secret=SECRET)
    assert (r.status_code, r.json()["error"]) == (422, "unknown_course") and count(db, Award) == 0


def test_a_moodle_source_says_its_site_consistently(client: TestClient, db: Database) -> None:
    client.app.state.award_settings = AwardSettings(  # type: ignore[attr-defined]
        webhook_secrets={"moodle": SecretStr(SECRET)}, lms_sources={"https://moodle.example.org": "moodle"})
    r = post(client, "moodle", {**moodle_completed(user=7), "wwwroot": SUMMER})
    assert (r.status_code, r.json()["error"]) == (422, "wrong_site") and count(db, Award) == 0
    r = post(client, "moodle", {**moodle_completed(user=7), "wwwroot": "HTTPS://Moodle.example.org:443/"})
    assert r.status_code == 200 and r.json()["awarded"][-1] == STACK


def test_a_teachers_own_grade_item_is_receipted_not_refused(client: TestClient, db: Database) -> None:
    """Moodle retries a refused event forever: a grade item that is no LEADS assessment is only receipted."""
    for key in ("attendance", "leads:attendance"):
        r = post(client, "moodle", moodle_graded({"itemid": 44, "itemidnumber": key, "finalgrade": 9,
                                                  "grademax": 10}))
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "receipted" and "not a LEADS assessment" in r.json()["note"]
    assert count(db, GradeEvent) == 0 and count(db, WebhookReceipt) == 2


def test_a_generated_course_on_a_site_with_a_path_is_that_sites(client: TestClient, db: Database) -> None:
    """Moodle's wwwroot may have a path; a course LEADS generated is known by its link's URL on the target."""
    from bridge.awards.intake import site_of
    from bridge.courses.store import CourseLinks

    assert site_of("HTTPS://Example.org:443/moodle/course/view.php?id=77") == "https://example.org/moodle"
    assert site_of("https://lms.example.org/courses/course-v1:LEADS+GLAM101+2026/about") == "https://lms.example.org"
    with db.session() as session:
        for target, root, design in (("uni", "https://example.org/moodle", STACK),
                                     ("summer", SUMMER, "glam-mc-rights")):
            CourseLinks(session).save(design, target, "moodle", steps={}, status="done", remote_id="77",
                                      url=f"{root}/course/view.php?id=77", error=None)
    client.app.state.award_settings = AwardSettings(  # type: ignore[attr-defined]
        webhook_secrets={"moodle": SecretStr(SECRET)}, lms_sources={"https://example.org/moodle/": "moodle"})
    r = post(client, "moodle", moodle_completed(user=5, course="77"))
    assert r.status_code == 200 and r.json()["awarded"][-1] == STACK


def test_an_openedx_event_with_the_lti_user_id_is_the_learner_of_the_launches(client: TestClient,
                                                                               db: Database) -> None:
    """Open edX launches LEADS with an external id (``sub``) unlike its user id: the forwarder sends it, and the
    learner a launch or the grade service already knows is not awarded the course a second time."""
    sub = "0f5b4e2c-7d1a-4c57-9a61-2f0c1b9e8d33"
    passing = edx("org.openedx.learning.course.passing.status.updated.v1", "course_passing_status",
                  {"is_passing": True})
    r = post(client, "openedx", {**passing, "lti_user_id": sub}, secret=EDX_SECRET)
    assert r.status_code == 200 and r.json()["awarded"], r.text
    cert = edx("org.openedx.learning.certificate.created.v1", "certificate", {"mode": "honor", "grade": "0.91"},
               event_id="9a1f0c9e-0000-4000-8000-000000000005")
    assert post(client, "openedx", {**cert, "lti_user_id": sub}, secret=EDX_SECRET).json()["awarded"] == []
    with db.session() as session:
        assert {a.learner for a in session.scalars(select(Award))} == {f"openedx:{sub}"}
    bad = post(client, "openedx", {**cert, "lti_user_id": 42}, secret=EDX_SECRET)
    assert bad.status_code == 422 and "lti_user_id" in bad.text
