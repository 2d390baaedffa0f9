"""Live Open edX creation against a loopback fake of Studio (OAuth2, course runs, OLX import)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from pydantic import SecretStr

from bridge.courses import service
from bridge.courses.openedx.client import StudioClient, StudioError
from bridge.courses.openedx.olx import course_number
from bridge.courses.outline import CourseOutline
from bridge.courses.steps import CourseCreationFailed
from bridge.courses.store import CourseLinks
from bridge.courses.targets import OpenEdxTarget
from bridge.db import Database
from tests.bridge.courses.fakes import COURSE_KEY_PART, FakeStudio, serve


@pytest.fixture
def studio() -> Iterator[tuple[FakeStudio, str]]:
    fake = FakeStudio()
    with serve(fake) as url:
        yield fake, url


def _target(url: str, secret: str = "s3cret") -> OpenEdxTarget:
    return OpenEdxTarget(name="edx", studio_url=url, lms_url=url, client_id="leads-client",
                         client_secret=SecretStr(secret), org="LEADS", run="2026", poll_seconds=0.0)


def test_bad_client_secret(studio: tuple[FakeStudio, str], http: httpx.Client) -> None:
    _, url = studio
    with pytest.raises(StudioError) as err:
        StudioClient(url, url, "leads-client", "wrong", http).token()
    assert "401" in err.value.message and "client_secret" in err.value.message


def test_create_then_update_without_duplicate(db: Database, studio: tuple[FakeStudio, str], http: httpx.Client,
                                              pilot_outline: CourseOutline) -> None:
    fake, url = studio
    sleeps: list[float] = []
    first = service.create_course(db, pilot_outline, _target(url), http, sleep=sleeps.append)
    key = "course-v1:LEADS+GlamArchiveToCommonsCertificate+2026"
    assert list(fake.runs) == [key] and first.remote_id == key
    assert first.url == f"{url}/course/{key}"
    assert len(fake.imports) == 1 and len(sleeps) == fake.polls_before_done
    job = next(iter(fake.imports.values()))
    assert job["problems"] == [] and job["polls"] == fake.polls_before_done + 1

    second = service.create_course(db, pilot_outline, _target(url), http, sleep=sleeps.append)
    assert second.updated and list(fake.runs) == [key]
    assert fake.calls.count("POST /api/v1/course_runs/") == 1
    assert fake.calls.count(f"PATCH /api/v1/course_runs/{key}/") == 1
    assert len(fake.imports) == 2  # the content is imported again: the course is updated in place


def test_failed_import_reports_and_resumes(db: Database, studio: tuple[FakeStudio, str], http: httpx.Client,
                                           pilot_outline: CourseOutline) -> None:
    fake, url = studio
    fake.fail_import = True
    with pytest.raises(CourseCreationFailed) as err:
        service.create_course(db, pilot_outline, _target(url), http, sleep=lambda s: None)
    assert err.value.step == "import_status"
    assert err.value.extra["created"]["course_id"] in fake.runs
    assert err.value.extra["done"] == ["course_run"]  # the failed upload must be redone
    with db.session() as s:
        link = CourseLinks(s).get(pilot_outline.design_key, "edx")
        assert link is not None and link.status == "partial"

    fake.fail_import = False  # e.g. the operator fixed what made Studio's import fail
    before = len(fake.calls)
    result = service.create_course(db, pilot_outline, _target(url), http, sleep=lambda s: None)
    resumed = fake.calls[before:]
    assert all("course_runs" not in c for c in resumed)  # no new course run: resumes with a new upload
    assert sum(c.startswith("POST /api/courses/v0/import/") for c in resumed) == 1
    assert result.remote_id in fake.runs and len(fake.runs) == 1 and len(fake.imports) == 2


def test_import_that_never_finishes(db: Database, studio: tuple[FakeStudio, str], http: httpx.Client,
                                    pilot_outline: CourseOutline) -> None:
    fake, url = studio
    fake.polls_before_done = 100
    target = _target(url).model_copy(update={"poll_limit": 3})
    with pytest.raises(CourseCreationFailed) as err:
        service.create_course(db, pilot_outline, target, http, sleep=lambda s: None)
    assert "did not finish after 3 polls" in err.value.message


BASIC = "digital-preservation-for-archives-micro-credential-basic"
ADVANCED = "digital-preservation-for-archives-micro-credential-advanced"


def test_course_numbers_never_shared_and_short_ones_unchanged() -> None:
    assert course_number("glam-archive-to-commons-certificate") == "GlamArchiveToCommonsCertificate"  # as before
    basic, advanced = course_number(BASIC), course_number(ADVANCED)
    assert basic != advanced and len(basic) == len(advanced) == 40
    assert basic.startswith("DigitalPreservationForArchivesM") and COURSE_KEY_PART.fullmatch(basic)
    assert course_number("a" * 200) != course_number("a" * 199)


def test_designs_whose_keys_begin_alike_get_their_own_runs(db: Database, studio: tuple[FakeStudio, str],
                                                          http: httpx.Client, pilot_outline: CourseOutline) -> None:
    fake, url = studio
    basic = replace(pilot_outline, design_key=BASIC, title="Basic")
    advanced = replace(pilot_outline, design_key=ADVANCED, title="Advanced")
    a = service.create_course(db, basic, _target(url), http, sleep=lambda s: None)
    b = service.create_course(db, advanced, _target(url), http, sleep=lambda s: None)
    assert a.remote_id != b.remote_id and not b.updated
    assert {run["title"] for run in fake.runs.values()} == {"Basic", "Advanced"}
    assert sorted(job["course"] for job in fake.imports.values()) == sorted([str(a.remote_id), str(b.remote_id)])


def test_a_run_another_design_owns_is_refused(db: Database, studio: tuple[FakeStudio, str], http: httpx.Client,
                                              pilot_outline: CourseOutline) -> None:
    """Keys that differ only in hyphens ("glam2mc", "glam-2mc") still make one course number: the second design
    must not be imported into the first one's run."""
    fake, url = studio
    first = service.create_course(db, replace(pilot_outline, design_key="glam2mc", title="First"), _target(url),
                                  http, sleep=lambda s: None)
    imports = len(fake.imports)
    with pytest.raises(CourseCreationFailed) as err:
        service.create_course(db, replace(pilot_outline, design_key="glam-2mc", title="Second"), _target(url), http,
                              sleep=lambda s: None)
    assert err.value.status == 409 and err.value.extra["cause"] == "course_of_another_design"
    assert "'glam2mc'" in err.value.message and "'glam-2mc'" in err.value.message
    assert str(first.remote_id) in err.value.message
    assert len(fake.imports) == imports and fake.runs[str(first.remote_id)]["title"] == "First"
    assert not any(c.startswith("PATCH") for c in fake.calls)
    # the owner itself still updates its run
    again = service.create_course(db, replace(pilot_outline, design_key="glam2mc", title="First"), _target(url),
                                  http, sleep=lambda s: None)
    assert again.updated and again.remote_id == first.remote_id


def test_fake_studio_enforces_course_key_rules(studio: tuple[FakeStudio, str], http: httpx.Client) -> None:
    fake, url = studio
    client = StudioClient(url, url, "leads-client", "s3cret", http)
    body = {"title": "T", "org": "LEADS", "number": "N1", "run": "2026", "pacing_type": "self_paced", "team": [],
            "schedule": {"start": "2026-01-01T00:00:00Z", "end": None}}
    client.create_course_run(body)
    for bad in ({"org": "LEADS Org"}, {"number": "N/1"}, {"run": "2026+1"}, {"number": "n1"}):
        with pytest.raises(StudioError):
            client.create_course_run({**body, **bad})
    assert list(fake.runs) == ["course-v1:LEADS+N1+2026"]
