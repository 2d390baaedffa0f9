"""Who gets the instructor pages (roster with e-mails, awards dashboard, deep linking, course generation): a course's
staff by their context role, and platform administrators; never a role from another vocabulary that only shares a
name (an institution's "Instructor", a learner's sub-role), which Canvas and Open edX send for students."""

from __future__ import annotations

import pytest

from bridge.ltitool.services import is_instructor, staff_role
from lti import validation as v
from tests.bridge.ltitool.conftest import Peers, peers  # noqa: F401  - the loopback platform + tool fixture
from tests.lti.platform import INSTRUCTOR, LEARNER, PendingLaunch

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
STAFF = [
    INSTRUCTOR, f"{LIS}membership#Administrator", f"{LIS}membership#ContentDeveloper",
    f"{LIS}system/person#Administrator", f"{LIS}institution/person#Administrator",  # Moodle's site administrator
    "Instructor", "ContentDeveloper",  # simple names of context roles (Core §A.2.3, deprecated but allowed)
    "urn:lti:role:ims/lis/Instructor", "urn:lti:sysrole:ims/lis/Administrator",  # LTI 1.1 names
]
NOT_STAFF = [
    LEARNER, f"{LIS}membership#Mentor", f"{LIS}membership#Member",
    f"{LIS}institution/person#Instructor",  # teaches somewhere at the institution, not necessarily here
    f"{LIS}institution/person#Faculty", f"{LIS}institution/person#Staff",
    f"{LIS}membership/Learner#Instructor",  # a kind of learner
    f"{LIS}membership/Instructor#TeachingAssistant",  # a sub-role alone: Open edX's forum moderators (students)
    f"{LIS}system/person#User", "urn:lti:instrole:ims/lis/Instructor", "urn:lti:role:ims/lis/Learner/Instructor",
    "Learner", "TeachingAssistant", "", "http://example.org/roles#Instructor",
]


@pytest.mark.parametrize("role", STAFF)
def test_a_course_staff_role_or_a_platform_administrator_is_staff(role: str) -> None:
    assert staff_role(role) and is_instructor({v.ROLES: [LEARNER, role]})


@pytest.mark.parametrize("role", NOT_STAFF)
def test_a_role_that_only_shares_a_name_is_not_staff(role: str) -> None:
    assert not staff_role(role) and not is_instructor({v.ROLES: [LEARNER, role]})


def test_a_teaching_assistant_the_platform_also_calls_instructor_is_staff() -> None:
    assert is_instructor({v.ROLES: [f"{LIS}membership/Instructor#TeachingAssistant", INSTRUCTOR]})
    assert not is_instructor({v.ROLES: "Instructor"}) and not is_instructor({})  # not a list: no roles


def test_a_student_with_an_institution_instructor_role_gets_the_learners_page_and_no_roster(
        peers: Peers) -> None:  # noqa: F811
    r, _ = peers.launch(PendingLaunch("resource", "learner-1", [LEARNER, f"{LIS}institution/person#Instructor"]),
                        accept="application/json")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["page"] == "lti/learner.html" and body["instructor"] is False
    roster = peers.http.get(f"{peers.tool_base}/lti/app/{body['launch_id']}/roster",
                            headers={"Accept": "application/json"})
    dashboard = peers.http.get(f"{peers.tool_base}/awards/course/{body['launch_id']}",
                               headers={"Accept": "application/json"})
    assert roster.status_code == 403 and dashboard.status_code == 403
    r, _ = peers.launch(PendingLaunch("resource", "teacher-1", [INSTRUCTOR]), accept="application/json")
    assert r.json()["instructor"] is True
