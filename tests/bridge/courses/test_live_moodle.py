"""Live Moodle creation against a loopback fake speaking Moodle's REST web services."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from bridge.courses import service
from bridge.courses.moodle.client import MoodleClient, MoodleError, flatten
from bridge.courses.outline import CourseOutline
from bridge.courses.steps import CourseCreationFailed
from bridge.courses.store import CourseLinks
from bridge.courses.targets import MoodleTarget
from bridge.db import Database
from tests.bridge.courses.fakes import FakeMoodle, unflatten
from tests.bridge.courses.mbz_check import check_mbz, read_mbz


def _target(url: str, token: str = "good-token") -> MoodleTarget:
    return MoodleTarget(name="uni-moodle", url=url, token=SecretStr(token))


def test_php_array_parameters_round_trip() -> None:
    params = {"courses": [{"fullname": "A & B", "courseformatoptions": [{"name": "numsections", "value": 9}]}],
              "flag": True}
    assert unflatten(flatten(params)) == {"courses": [{"fullname": "A & B", "courseformatoptions": [
        {"name": "numsections", "value": "9"}]}], "flag": "1"}


def test_moodle_error_shape_becomes_a_clear_error(moodle: tuple[FakeMoodle, str], http: httpx.Client) -> None:
    _, url = moodle
    with pytest.raises(MoodleError) as err:
        MoodleClient(url, "wrong", http).call("core_course_get_categories")
    assert err.value.errorcode == "invalidtoken" and err.value.status == 502
    assert "core_course_get_categories" in err.value.message


def test_create_then_update_without_duplicate(db: Database, moodle: tuple[FakeMoodle, str], http: httpx.Client,
                                              pilot_outline: CourseOutline) -> None:
    fake, url = moodle
    seen: list[tuple[str, str]] = []
    first = service.create_course(db, pilot_outline, _target(url), http,
                                  progress=lambda step, status: seen.append((step.name, status)))
    assert not first.updated
    assert len(fake.courses) == 1 and len(fake.categories) == 1
    course = next(iter(fake.courses.values()))
    assert course["shortname"] == pilot_outline.short_name and course["enablecompletion"] == "1"
    names = [s["name"] for s in fake.sections[course["id"]][1:]]
    assert names == [s.title for s in pilot_outline.sections]
    assert check_mbz(read_mbz(fake.private_files[f"leads-{pilot_outline.short_name}.mbz"])) == []
    assert first.url == f"{url}/course/view.php?id={course['id']}"
    assert ("backup", "done") in seen

    second = service.create_course(db, pilot_outline, _target(url), http)
    assert second.updated and second.remote_id == first.remote_id
    assert len(fake.courses) == 1 and len(fake.categories) == 1
    assert fake.calls.count("core_course_create_courses") == 1
    assert fake.calls.count("core_course_update_courses") == 0  # the design did not change: nothing to write
    with db.session() as s:
        links = CourseLinks(s).list()
    assert [(link.target, link.status, link.remote_id) for link in links] == [
        ("uni-moodle", "done", str(course["id"]))]


def test_failure_midway_reports_and_resumes(db: Database, moodle: tuple[FakeMoodle, str], http: httpx.Client,
                                            pilot_outline: CourseOutline) -> None:
    fake, url = moodle
    fake.fail["core_update_inplace_editable"] = ("nopermissions", "Sorry, but you do not currently have "
                                                 "permissions to do that (Update course settings).")
    with pytest.raises(CourseCreationFailed) as err:
        service.create_course(db, pilot_outline, _target(url), http)
    failure = err.value
    assert failure.step == "section_names"
    assert failure.extra["created"]["course_id"] in fake.courses
    assert failure.extra["done"] == ["category", "course", "sections"]
    assert "nopermissions" in failure.message and "run the same command again" in failure.message
    with db.session() as s:
        link = CourseLinks(s).get(pilot_outline.design_key, "uni-moodle")
        assert link is not None and link.status == "partial" and "nopermissions" in (link.error or "")

    calls_before = len(fake.calls)
    result = service.create_course(db, pilot_outline, _target(url), http)
    resumed = fake.calls[calls_before:]
    assert "core_course_create_courses" not in resumed and "core_course_get_categories" not in resumed
    assert resumed[0] == "core_update_inplace_editable"
    assert len(fake.courses) == 1 and result.remote_id == str(failure.extra["created"]["course_id"])


def test_unreachable_moodle(db: Database, http: httpx.Client, pilot_outline: CourseOutline) -> None:
    with pytest.raises(CourseCreationFailed) as err:
        service.create_course(db, pilot_outline, _target("http://127.0.0.1:9"), http)
    assert err.value.step == "category" and err.value.extra["created"] == {}


def test_existing_course_gets_missing_sections(db: Database, moodle: tuple[FakeMoodle, str], http: httpx.Client,
                                               pilot_outline: CourseOutline) -> None:
    """A course made by hand (or by an older, smaller design) is found by short name and completed in place."""
    fake, url = moodle
    fake.courses[77] = {"id": 77, "shortname": pilot_outline.short_name, "fullname": "old"}
    fake.sections[77] = [{"id": 7700 + i, "section": i, "name": "", "summary": "", "modules": []} for i in range(3)]
    result = service.create_course(db, pilot_outline, _target(url), http)
    assert result.remote_id == "77" and len(fake.courses) == 1
    assert fake.calls.count("core_courseformat_update_course") == len(pilot_outline.sections) - 2
    assert [s["name"] for s in fake.sections[77][1:]] == [s.title for s in pilot_outline.sections]
    assert fake.courses[77]["fullname"] == pilot_outline.title
