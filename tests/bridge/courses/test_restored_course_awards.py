"""A course restored from LEADS's .mbz awards certificates: the backup goes through what Moodle's restore does with
it (tests/bridge/courses/moodle_restore.py), the LMS's grade service answers with the line items Moodle then
reports, the teacher's grades reach the award rules (claim and scheduled poll), and the worker signs credentials
with the learner's name and the course title — never an internal id or context key."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bridge.awards import intake
from bridge.awards.credential_adapters import CredentialsServiceIssuer
from bridge.awards.tables import Award
from bridge.awards.worker import Worker
from bridge.courses.moodle.backup import build_mbz
from bridge.courses.outline import build_outline
from bridge.credentials.service import CredentialService
from bridge.credentials.tables import IssuedCredentialRow
from bridge.dataspace.model import EntityBase
from bridge.ltitool import services
from bridge.settings import AwardSettings
from tests.bridge.courses.mbz_check import GBS_ELEMENT, check_mbz, read_mbz
from tests.bridge.courses.moodle_restore import Course, SiteTool
from tests.bridge.ltitool.conftest import Peers, peers  # noqa: F401  - the loopback platform + tool fixture
from tests.lti.platform import CONTEXT, INSTRUCTOR, LEARNER, PendingLaunch

CERT = "glam-archive-to-commons-certificate"
QUIZZES = {"glam-as-rights-quiz": 85.0, "glam-as-digitisation-portfolio": 72.0, "glam-as-upload-project": 90.0}
WHEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
WWWROOT = "https://moodle.example.org"
TOOL = 3  # the site tool's id (lti_types)


def _restore(entities: dict[str, EntityBase], tool_base: str, *, times: int = 1,
             strip_line_items: bool = False) -> Course:
    files = read_mbz(build_mbz(build_outline(CERT, entities, tool_base), WHEN))
    assert check_mbz(files) == []
    if strip_line_items:  # a backup as LEADS wrote it before: no gradebookservices line item in the activity
        files = {path: _strip(data) if path.endswith("/lti.xml") else data for path, data in files.items()}
    course = Course(id=7, tools=[SiteTool(id=TOOL, baseurl=f"{tool_base}/lti/launch")])
    for _ in range(times):
        course.restore(files)
    return course


def _strip(data: bytes) -> bytes:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(data)
    lti = root.find("lti")
    assert lti is not None
    for el in lti.findall(GBS_ELEMENT):
        lti.remove(el)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")


@pytest.fixture(scope="module")
def entities() -> dict[str, EntityBase]:
    from bridge.dataspace.service import SAMPLE_DESIGN_SET, read_design_set_file

    return dict(read_design_set_file(SAMPLE_DESIGN_SET).by_key())


def test_restore_reports_the_resource_id_the_backup_sets(entities: dict[str, EntityBase]) -> None:
    course = _restore(entities, "https://leads.example.org")
    items = course.line_items(WWWROOT, TOOL)
    assert {i["resourceId"] for i in items} == set(QUIZZES)  # the bare key, stored by restore itself
    assert all(i["tag"].startswith("glam-mc-") for i in items)  # the micro-credential, as deep linking sets it
    assert {g["idnumber"] for g in course.grade_items.values()} == {f"leads:{k}" for k in QUIZZES}
    assert all(i["id"].startswith(f"{WWWROOT}/mod/lti/services.php/7/lineitems/") for i in items)
    claim = [lti for lti in course.lti.values() if "leads_action=claim" in lti["custom"]]
    assert len(claim) == 1 and claim[0]["acceptgrades"] == "0"  # the claim link has no grade item, no line item
    assert len(items) == len(course.grade_items) == 3


def test_restore_without_the_line_item_falls_back_to_the_id_number_and_intake_accepts_it(
        entities: dict[str, EntityBase]) -> None:
    """What Moodle 5.1 reported for LEADS's earlier backups: ``resourceId`` ``leads:<key>``, empty tag."""
    items = _restore(entities, "https://leads.example.org", strip_line_items=True).line_items(WWWROOT, TOOL)
    assert {(i["resourceId"], i["tag"]) for i in items} == {(f"leads:{k}", "") for k in QUIZZES}
    wanted = set(QUIZZES)
    assert {intake.assessment_of(i, wanted) for i in items} == wanted


def test_a_second_restore_duplicates_activities_with_empty_id_numbers_but_the_same_resource_id(
        entities: dict[str, EntityBase]) -> None:
    course = _restore(entities, "https://leads.example.org", times=2)
    items = course.line_items(WWWROOT, TOOL)
    assert len(items) == 6 and sorted(i["resourceId"] for i in items) == sorted([*QUIZZES, *QUIZZES])
    assert sorted(g["idnumber"] for g in course.grade_items.values()) == sorted(
        [*(f"leads:{k}" for k in QUIZZES), "", "", ""])
    # a backup without the line item: the duplicates report an empty resource id (receipted, never counted)
    old = _restore(entities, "https://leads.example.org", times=2, strip_line_items=True).line_items(WWWROOT, TOOL)
    assert sorted(i["resourceId"] for i in old).count("") == 3
    assert {intake.assessment_of(i, set(QUIZZES)) for i in old} == {*QUIZZES, None}


def test_a_tool_under_another_url_loses_the_line_items_of_the_restore(entities: dict[str, EntityBase]) -> None:
    """Why the guide insists on the registered tool URL: restore maps line items to the tool by base URL."""
    files = read_mbz(build_mbz(build_outline(CERT, entities, "https://leads.example.org"), WHEN))
    course = Course(id=7, tools=[SiteTool(id=TOOL, baseurl="https://leads.example.org/")])
    course.restore(files)
    assert course.line_items(WWWROOT, TOOL) == []


def _publish(peers: Peers, items: list[dict[str, Any]]) -> dict[str, str]:  # noqa: F811
    """The platform's grade service answers with Moodle's line items (its own URLs, so scores reach it)."""
    out: dict[str, str] = {}
    with peers.platform.lock:
        for item in items:
            item_id = str(next(peers.platform.ids))
            data = {**item, "id": f"{peers.platform.base}/ags/{CONTEXT}/lineitems/{item_id}"}
            peers.platform.line_items[item_id] = data
            peers.platform.scores[item_id] = []
            out[str(item["resourceId"]).removeprefix("leads:")] = data["id"]
    return out


def _name_and_course(document: dict[str, Any]) -> tuple[str, str]:
    subject = document["credentialSubject"]
    [name] = [i["identityHash"] for i in subject["identifier"] if i["identityType"] == "name"]
    return str(name), str(subject.get("narrative", ""))


@pytest.mark.parametrize("strip", [False, True], ids=["resource-id", "id-number"])
def test_restored_course_grades_become_awards_and_named_credentials(peers: Peers, strip: bool,  # noqa: F811
                                                                    entities: dict[str, EntityBase]) -> None:
    course = _restore(entities, peers.tool_base, strip_line_items=strip)
    lineitems = _publish(peers, course.line_items(WWWROOT, TOOL))
    claim = next(lti for lti in course.lti.values() if "leads_action=claim" in lti["custom"])
    custom = dict(line.split("=", 1) for line in claim["custom"].splitlines())

    # the teacher enters 85/72/90 for learner-1 and grades learner-2 too (who never opens LEADS)
    r, _ = peers.launch(PendingLaunch("resource", "teacher-1", [INSTRUCTOR], custom=custom), accept="application/json")
    gradebook = services.ags(peers.tool, r.json()["launch_id"])
    now = datetime.now(UTC).isoformat()
    for user in ("learner-1", "learner-2"):
        for key, given in QUIZZES.items():
            gradebook.post_score(lineitems[key], {"userId": user, "scoreGiven": given, "scoreMaximum": 100,
                                                  "activityProgress": "Completed", "gradingProgress": "FullyGraded",
                                                  "timestamp": now})

    # learner-1 presses "claim your certificate" in the restored course
    r, _ = peers.launch(PendingLaunch("resource", "learner-1", [LEARNER], custom=custom), accept="application/json")
    page = peers.http.get(f"{peers.tool_base}/awards/claim/{r.json()['launch_id']}",
                          headers={"Accept": "application/json"})
    assert page.status_code == 200 and page.json()["missing"] == [], page.text
    assert len(page.json()["awards"]) == 4

    # learner-2 never launched: the scheduled poll reads the grades and the roster gives the name
    peers.platform.members.append({"user_id": "learner-2", "name": "Grace Hopper", "roles": [LEARNER],
                                   "status": "Active", "email": "grace@example.org"})
    reports = intake.poll_targets(peers.db, cfg=AwardSettings(), reader_for=intake.lti_reader_for(peers.tool),
                                  roster_for=intake.lti_roster_for(peers.tool))
    [report] = reports.values()
    assert report.title == "GLAM uploads 101" and report.line_items == 3 and report.awarded == 4, report.text()
    assert report.waiting == 0 and "GLAM uploads 101" in report.text()

    worker = Worker(peers.db, CredentialsServiceIssuer(CredentialService(peers.db, peers.tool.settings)))
    assert worker.run(threading.Event(), once=True) == 8
    with peers.db.session() as session:
        assert {a.state for a in session.scalars(select(Award))} == {"issued"}
        rows = list(session.scalars(select(IssuedCredentialRow)))
    names = {_name_and_course(r.document) for r in rows}
    assert names == {("User learner-1", "Course: GLAM uploads 101"), ("Grace Hopper", "Course: GLAM uploads 101")}
    assert all("lti:" not in r.learner_name for r in rows)
