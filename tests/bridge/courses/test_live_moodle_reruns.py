"""Re-running a Moodle creation: the course is found again however an admin changed it, and what admins and teachers
changed stays; the design's language reaches Moodle as a language pack code."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import delete

from bridge.courses import service
from bridge.courses.moodle.client import MoodleClient, MoodleError
from bridge.courses.moodle.lang import moodle_languages
from bridge.courses.outline import CourseOutline
from bridge.courses.steps import CourseCreationFailed
from bridge.courses.tables import CourseLink
from bridge.courses.targets import MoodleTarget
from bridge.db import Database
from tests.bridge.courses.fakes import FakeMoodle


def _target(url: str) -> MoodleTarget:
    return MoodleTarget(name="uni-moodle", url=url, token=SecretStr("good-token"))


def test_renamed_course_is_found_by_its_id_then_by_its_id_number(
        db: Database, moodle: tuple[FakeMoodle, str], http: httpx.Client, pilot_outline: CourseOutline) -> None:
    fake, url = moodle
    first = service.create_course(db, pilot_outline, _target(url), http)
    cid = int(first.remote_id or 0)
    fake.courses[cid]["shortname"] = "2026-ARTS-GLAM"  # the institution's naming convention

    again = service.create_course(db, pilot_outline, _target(url), http)
    assert again.updated and again.remote_id == first.remote_id and list(fake.courses) == [cid]
    assert fake.courses[cid]["shortname"] == "2026-ARTS-GLAM"

    with db.session() as s:  # the link is lost (another LEADS database): the ID number leads:<key> finds it
        s.execute(delete(CourseLink))
    lost = service.create_course(db, pilot_outline, _target(url), http)
    assert lost.remote_id == first.remote_id and list(fake.courses) == [cid]
    assert fake.courses[cid]["shortname"] == "2026-ARTS-GLAM"
    assert fake.calls.count("core_course_create_courses") == 1


def test_a_course_with_our_short_name_and_another_id_number_is_not_taken_over(
        db: Database, moodle: tuple[FakeMoodle, str], http: httpx.Client, pilot_outline: CourseOutline) -> None:
    fake, url = moodle
    fake.courses[77] = {"id": 77, "shortname": pilot_outline.short_name, "fullname": "Registrar's course",
                        "idnumber": "SIS-2026-0042", "categoryid": "1"}
    with pytest.raises(CourseCreationFailed) as err:
        service.create_course(db, pilot_outline, _target(url), http)
    assert err.value.step == "course" and err.value.status == 409
    assert err.value.extra["cause"] == "moodle_course_not_ours"
    assert "SIS-2026-0042" in err.value.message and pilot_outline.design_key in err.value.message
    assert fake.courses[77]["idnumber"] == "SIS-2026-0042" and fake.courses[77]["fullname"] == "Registrar's course"
    assert "core_course_update_courses" not in fake.calls and "core_course_create_courses" not in fake.calls


def test_rerun_keeps_what_admins_and_teachers_changed(db: Database, moodle: tuple[FakeMoodle, str],
                                                      http: httpx.Client, pilot_outline: CourseOutline) -> None:
    fake, url = moodle
    cid = int(service.create_course(db, pilot_outline, _target(url), http).remote_id or 0)
    fake.categories[77] = {"id": 77, "name": "Faculty of Arts", "parent": 0}
    fake.courses[cid].update(categoryid="77", fullname="GLAM (Spring 2026)")  # the admin's edits
    fake.sections[cid][1]["name"] = "Week 1: copyright basics"                 # the teacher's

    service.create_course(db, pilot_outline, _target(url), http)
    assert fake.courses[cid]["categoryid"] == "77" and fake.courses[cid]["fullname"] == "GLAM (Spring 2026)"
    assert fake.sections[cid][1]["name"] == "Week 1: copyright basics"
    assert fake.updated_fields == []

    changed = replace(pilot_outline, summary="A new summary.",
                      sections=(replace(pilot_outline.sections[0], title="Renamed in the design"),
                                *pilot_outline.sections[1:]))
    service.create_course(db, changed, _target(url), http)  # what the design changed is written, nothing else
    assert fake.updated_fields == [["summary"]]
    assert fake.courses[cid]["categoryid"] == "77" and fake.courses[cid]["fullname"] == "GLAM (Spring 2026)"
    assert fake.sections[cid][1]["name"] == "Renamed in the design"
    assert fake.sections[cid][2]["name"] == pilot_outline.sections[1].title


def test_design_language_becomes_a_moodle_language_pack(db: Database, moodle: tuple[FakeMoodle, str],
                                                        http: httpx.Client, pilot_outline: CourseOutline) -> None:
    fake, url = moodle
    fake.langs = ("en", "pt_br")
    result = service.create_course(db, replace(pilot_outline, language="pt-BR"), _target(url), http)
    assert fake.courses[int(result.remote_id or 0)]["lang"] == "pt_br"
    assert "language_not_forced" not in result.created


def test_language_pack_not_installed(db: Database, moodle: tuple[FakeMoodle, str], http: httpx.Client,
                                     pilot_outline: CourseOutline) -> None:
    """Moodle refuses a language it has no pack for: the course follows each user's language, the report says which
    pack to install, and the run after installing it forces the language."""
    fake, url = moodle
    outline = replace(pilot_outline, language="es-MX")
    result = service.create_course(db, outline, _target(url), http)
    cid = int(result.remote_id or 0)
    assert "lang" not in fake.courses[cid] and len(fake.courses) == 1
    assert result.created["language_not_forced"]["language"] == "es_mx"
    assert "errorinvalidparam" in result.created["language_not_forced"]["reason"]

    fake.langs = ("en", "es")  # the admin installs Spanish (the generic pack)
    again = service.create_course(db, outline, _target(url), http)
    assert fake.courses[cid]["lang"] == "es" and "language_not_forced" not in again.created


@pytest.mark.parametrize(("tag", "codes"), [
    ("en", ["en"]), ("pt-BR", ["pt_br", "pt"]), ("es-419", ["es_419", "es"]), ("zh-Hans", ["zh_cn", "zh"]),
    ("zh-Hant-TW", ["zh_tw", "zh"]), ("sr-Latn-RS", ["sr_lt", "sr"]), ("de-CH-1996", ["de_ch", "de"]),
    ("EN-us", ["en_us", "en"]), ("de-1996", ["de"]),
])
def test_moodle_language_codes(tag: str, codes: list[str]) -> None:
    assert moodle_languages(tag) == codes


def test_fake_create_courses_checks_as_moodle_does(moodle: tuple[FakeMoodle, str], http: httpx.Client) -> None:
    fake, url = moodle
    client = MoodleClient(url, "good-token", http)
    fake.categories[5] = {"id": 5, "name": "LEADS", "parent": 0}
    course: dict[str, object] = {"fullname": "A", "shortname": "a", "categoryid": 5, "idnumber": "SIS-1"}
    client.create_course(course)
    cases: list[tuple[dict[str, object], str]] = [
        ({"categoryid": 99}, "errorcatcontextnotvalid"), ({"lang": "pt-BR"}, "errorinvalidparam"),
        ({}, "shortnametaken"), ({"shortname": "b"}, "courseidnumbertaken")]
    for fields, code in cases:
        with pytest.raises(MoodleError) as err:
            client.create_course({**course, **fields})
        assert err.value.errorcode == code

