"""The OLX export checked with olxcleaner and by reading it the way edx-platform's importer does."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from olxcleaner import validate  # type: ignore[import-untyped]

from bridge.courses.openedx.olx import CourseKey, build_olx, olx_files
from bridge.courses.outline import CourseOutline
from tests.bridge.courses.olx_import import check_course, import_olx

# olxcleaner 0.3 knows only the LTI 1.1 fields of lti_consumer (lti_id, launch_url) and does not follow
# lti_consumer pointer tags (can_be_pointer = False), so it reports those blocks as unnamed: only these may appear.
LTI11_ONLY = {("InvalidSetting", "'lti_id'"), ("InvalidSetting", "'launch_url'"), ("MissingDisplayName", "")}


@pytest.fixture(scope="module")
def olx(pilot_outline: CourseOutline) -> bytes:
    return build_olx(pilot_outline, CourseKey("LEADS", "GLAM101", "2026"))


def _olxcleaner_errors(data: bytes, tmp: Path) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(tmp, filter="data")
    course, errors, _ = validate(str(tmp / "course"), steps=8)
    assert course is not None
    left = []
    for e in errors.errors:
        text = str(e.description)
        lti_only = "<lti_consumer" in text and any(e.name == n and frag in text for n, frag in LTI11_ONLY)
        if not lti_only:
            left.append(f"{e.name} {e.level}: {text}")
    return left


def test_olxcleaner_all_checks_but_lti11(olx: bytes, tmp_path: Path) -> None:
    assert _olxcleaner_errors(olx, tmp_path) == []


def test_olxcleaner_catches_a_broken_course(pilot_outline: CourseOutline, tmp_path: Path) -> None:
    files = olx_files(pilot_outline, CourseKey("LEADS", "GLAM101", "2026"))
    files["policies/2026/grading_policy.json"] = json.dumps({"GRADER": [], "GRADE_CUTOFFS": {"Pass": 2}}).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(f"course/{path}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    assert _olxcleaner_errors(buf.getvalue(), tmp_path) != []


def test_edx_importer_reads_the_whole_tree(olx: bytes, pilot_outline: CourseOutline) -> None:
    course = import_olx(olx)
    assert check_course(course) == []
    assert (course.org, course.number, course.run) == ("LEADS", "GLAM101", "2026")
    chapters = course.root.children
    assert [c.attrs["display_name"] for c in chapters] == [p.title for p in pilot_outline.parts] + ["Your certificate"]
    ltis = [b for b in course.root.walk() if b.category == "lti_consumer"]
    assert len(ltis) == 4
    quiz = ltis[0].attrs
    assert quiz["lti_version"] == "lti_1p3" and quiz["has_score"] == "true" and quiz["weight"] == "100.0"
    assert quiz["lti_1p3_launch_url"] == "https://leads.example.org/lti/launch"
    assert quiz["lti_1p3_oidc_url"] == "https://leads.example.org/lti/login"
    assert quiz["lti_1p3_tool_keyset_url"] == "https://leads.example.org/lti/jwks"
    assert json.loads(quiz["custom_parameters"]) == ["leads_assessment=glam-as-rights-quiz",
                                                     "leads_design=glam-mc-rights"]
    assert ltis[-1].attrs["has_score"] == "false"
    htmls = [b for b in course.root.walk() if b.category == "html"]
    assert all(b.body for b in htmls)
    assert "Determine the copyright status" in (htmls[1].body or "")


def test_grading_policy_from_thresholds(olx: bytes) -> None:
    course = import_olx(olx)
    graders = course.grading_policy["GRADER"]
    assert [(g["short_label"], g["weight"], g["min_count"]) for g in graders] == [
        ("MC1", 0.2, 1), ("MC2", 0.4, 1), ("MC3", 0.4, 1)]
    assert course.grading_policy["GRADE_CUTOFFS"] == {"Pass": 0.68}
    assert course.policy["advanced_modules"] == ["lti_consumer"]


def test_importer_check_can_fail(pilot_outline: CourseOutline) -> None:
    files = olx_files(pilot_outline, CourseKey("LEADS", "GLAM101", "2026"))
    victim = next(p for p in files if p.startswith("lti_consumer/"))
    files[victim] = files[victim].replace(b'lti_version="lti_1p3"', b'lti_version="lti_1p1"')
    del files[next(p for p in files if p.startswith("vertical/"))]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(f"course/{path}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    problems = check_course(import_olx(buf.getvalue()))
    assert any("lti_version" in p for p in problems)
    assert any("missing" in p for p in problems)
