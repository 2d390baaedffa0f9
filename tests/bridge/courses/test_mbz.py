"""The Moodle backup checked against what Moodle's restore reads (tests/bridge/courses/mbz_check.py)."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from bridge.courses.moodle.backup import NULL, backup_files, build_mbz
from bridge.courses.outline import CourseOutline
from tests.bridge.courses.mbz_check import check_mbz, read_mbz

WHEN = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def files(pilot_outline: CourseOutline) -> dict[str, bytes]:
    return read_mbz(build_mbz(pilot_outline, WHEN))


def test_restore_reads_every_file_it_needs(files: dict[str, bytes]) -> None:
    assert check_mbz(files) == []


def test_deterministic(pilot_outline: CourseOutline, monkeypatch: pytest.MonkeyPatch) -> None:
    first = build_mbz(pilot_outline, WHEN)
    monkeypatch.setattr(time, "time", lambda: 4_000_000_000.0)  # a later clock must not leak into the bytes
    assert build_mbz(pilot_outline, WHEN) == first


def test_checker_catches_what_restore_would_fail_on(files: dict[str, bytes]) -> None:
    broken = dict(files)
    del broken["activities/lti_102/grades.xml"]
    del broken["course/roles.xml"]
    problems = check_mbz(broken)
    assert any("activities/lti_102/grades.xml: missing" in p for p in problems)
    assert any("course/roles.xml: missing" in p for p in problems)
    bad_seq = dict(files)
    bad_seq["sections/section_11/section.xml"] = files["sections/section_11/section.xml"].replace(
        b"<sequence></sequence>", b"<sequence>999</sequence>")
    assert any("999" in p for p in check_mbz(bad_seq))
    stray = dict(files, **{"activities/lti_999/lti.xml": b"<activity/>"})
    assert any("stray" in p for p in check_mbz(stray))


def test_sections_and_lti_activities(files: dict[str, bytes], pilot_outline: CourseOutline) -> None:
    info = ET.fromstring(files["moodle_backup.xml"]).find("information")
    assert info is not None
    sections = info.findall("contents/sections/section")
    assert len(sections) == len(pilot_outline.sections) + 1  # plus Moodle's section 0
    acts = info.findall("contents/activities/activity")
    assert [a.findtext("modulename") for a in acts] == ["lti"] * 4
    lti = ET.fromstring(files["activities/lti_101/lti.xml"]).find("lti")
    assert lti is not None
    assert lti.findtext("toolurl") == "https://leads.example.org/lti/launch"
    assert lti.findtext("typeid") == "0"  # matched to the site's LTI 1.3 tool by URL/domain
    assert lti.findtext("grade") == "100"
    assert lti.findtext("instructorcustomparameters") == (
        "leads_assessment=glam-as-rights-quiz\nleads_design=glam-mc-rights")
    section = ET.fromstring(files["sections/section_12/section.xml"])
    assert section.findtext("name") == "Copyright and licensing assessment (Applies)"
    assert "Determine the copyright status" in (section.findtext("summary") or "")
    assert section.findtext("sequence") == "101"


def test_grades_and_completion_from_thresholds(files: dict[str, bytes]) -> None:
    item = ET.fromstring(files["activities/lti_103/grades.xml"]).find("grade_items/grade_item")
    assert item is not None
    assert (item.findtext("grademax"), item.findtext("gradepass")) == ("100.00000", "75.00000")
    module = ET.fromstring(files["activities/lti_103/module.xml"])
    assert [module.findtext(t) for t in ("completion", "completiongradeitemnumber", "completionpassgrade")] == [
        "2", "0", "1"]
    claim = ET.fromstring(files["activities/lti_104/module.xml"])
    assert [claim.findtext(t) for t in ("completiongradeitemnumber", "completionview")] == [NULL, "1"]
    course = ET.fromstring(files["course/course.xml"])
    assert course.findtext("enablecompletion") == "1" and course.findtext("lang") == "en"
    completion = ET.fromstring(files["completion.xml"])
    assert [c.findtext("moduleinstance") for c in completion.findall("course_completion_criteria")] == [
        "101", "102", "103"]
    gradebook = ET.fromstring(files["gradebook.xml"])
    course_item = gradebook.find("grade_items/grade_item")
    assert course_item is not None and course_item.findtext("gradepass") == "204.00000"  # 0.68 × 300


def test_backup_files_order_starts_with_moodle_backup(pilot_outline: CourseOutline) -> None:
    assert next(iter(backup_files(pilot_outline, WHEN))) == "moodle_backup.xml"


# The file set of a real Moodle 4.3 course backup (its .ARCHIVE_INDEX), without user data or files.
REAL_ROOT = {".ARCHIVE_INDEX", "badges.xml", "completion.xml", "files.xml", "grade_history.xml", "gradebook.xml",
             "groups.xml", "moodle_backup.xml", "moodle_backup.log", "outcomes.xml", "questions.xml", "roles.xml",
             "scales.xml", "users.xml"}
REAL_COURSE = {"competencies.xml", "filters.xml", "inforef.xml", "roles.xml", "enrolments.xml", "comments.xml",
               "contentbank.xml", "course.xml", "completiondefaults.xml", "calendar.xml"}
REAL_ACTIVITY = {"competencies.xml", "filters.xml", "inforef.xml", "roles.xml", "grades.xml", "comments.xml",
                 "grading.xml", "xapistate.xml", "module.xml", "calendar.xml", "completion.xml",
                 "grade_history.xml"}


def test_same_files_as_a_real_moodle_backup(files: dict[str, bytes]) -> None:
    assert {p for p in files if "/" not in p} == REAL_ROOT
    assert {p.split("/", 1)[1] for p in files if p.startswith("course/")} == REAL_COURSE
    for d in {p.rsplit("/", 1)[0] for p in files if p.startswith("activities/")}:
        assert {p.rsplit("/", 1)[1] for p in files if p.startswith(d + "/")} == REAL_ACTIVITY | {"lti.xml"}
    for d in {p.rsplit("/", 1)[0] for p in files if p.startswith("sections/")}:
        assert {p.rsplit("/", 1)[1] for p in files if p.startswith(d + "/")} == {"section.xml", "inforef.xml"}


def test_archive_index_is_checked(files: dict[str, bytes]) -> None:
    assert files[".ARCHIVE_INDEX"].startswith(b"Moodle archive file index. Count: ")
    tampered = dict(files, **{"course/course.xml": files["course/course.xml"] + b"\n"})
    assert any(".ARCHIVE_INDEX lists other" in p for p in check_mbz(tampered))


def test_an_export_drops_what_xml_cannot_carry(pilot_outline: CourseOutline) -> None:
    """The data space refuses control characters in terms; one stored before still leaves every file parseable."""
    import dataclasses
    import io
    import tarfile
    import xml.etree.ElementTree as ET

    from bridge.courses.openedx.olx import CourseKey, build_olx

    odd = dataclasses.replace(pilot_outline, title="A\x01B\x0b<b>&amp;]]>\ufffe")
    for name, data in read_mbz(build_mbz(odd, WHEN)).items():
        if name.endswith(".xml"):
            ET.fromstring(data)
    with tarfile.open(fileobj=io.BytesIO(build_olx(odd, CourseKey("LEADS", "GLAM101", "2026")))) as tar:
        for member in tar.getmembers():
            if member.name.endswith(".xml"):
                extracted = tar.extractfile(member)
                assert extracted is not None
                ET.fromstring(extracted.read())

