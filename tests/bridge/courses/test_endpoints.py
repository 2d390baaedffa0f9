"""Instructor pages: preview, download, generate with progress against the Moodle fake, access control."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from bridge.app import create_app
from bridge.courses import jobs as course_jobs
from bridge.courses.store import CourseLinks
from bridge.dataspace import service as dataspace
from bridge.db import Database
from bridge.settings import Settings
from tests.bridge.courses.conftest import PILOT
from tests.bridge.courses.fakes import FakeMoodle, serve
from tests.bridge.courses.mbz_check import check_mbz, read_mbz
from tests.bridge.ltitool.conftest import Peers, peers  # noqa: F401  - the loopback platform + tool fixture
from tests.lti.platform import INSTRUCTOR, PendingLaunch

TOKEN = "t" * 32
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def client(db: Database, tmp_path: Path) -> Iterator[TestClient]:
    dataspace.store(db, dataspace.read_design_set_file(dataspace.SAMPLE_DESIGN_SET))
    settings = Settings(data_dir=tmp_path / "var", base_url="https://leads.example.org", load_sample=False,
                        admin_token=SecretStr(TOKEN), secret_key=SecretStr("s" * 32))
    with TestClient(create_app(settings, db), base_url="https://testserver") as c:
        yield c


def test_needs_admin_or_instructor(client: TestClient) -> None:
    r = client.get("/courses/generate", headers={"Accept": "application/json"})
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    page = client.get("/courses/generate")
    assert page.status_code == 401 and "Administrator password" in page.text and "LEADS_ADMIN_TOKEN" not in page.text
    token = page.text.split('name="login_csrf" value="')[1].split('"')[0]
    wrong = client.post("/courses/login", data={"admin_token": "nope", "login_csrf": token}, follow_redirects=False)
    assert wrong.status_code == 401 and "That is not the administrator password." in wrong.text
    token = wrong.text.split('name="login_csrf" value="')[1].split('"')[0]
    ok = client.post("/courses/login", data={"admin_token": TOKEN, "login_csrf": token}, follow_redirects=False)
    assert ok.status_code == 303
    assert client.get("/courses/generate").status_code == 200  # the session cookie now lets the admin in


def test_preview_outline(client: TestClient) -> None:
    page = client.get(f"/courses/generate?design={PILOT}", headers=AUTH)
    assert page.status_code == 200
    assert "Rights clearance quiz" in page.text and "pass at 70 %" in page.text
    assert "https://leads.example.org/lti/launch" in page.text
    data = client.get(f"/courses/generate?design={PILOT}&format=json", headers=AUTH).json()
    assert [s["kind"] for s in data["outline"]["sections"]][:2] == ["micro-credential", "competence"]
    missing = client.get("/courses/generate?design=nope&format=json", headers=AUTH)
    assert missing.status_code == 404


def test_download(client: TestClient) -> None:
    r = client.get(f"/courses/generate/download?design={PILOT}&format=mbz", headers=AUTH)
    assert r.status_code == 200 and r.headers["content-type"] == "application/vnd.moodle.backup"
    assert f'filename="{PILOT}.mbz"' in r.headers["content-disposition"]
    assert check_mbz(read_mbz(r.content)) == []
    bad = client.get(f"/courses/generate/download?design={PILOT}&format=zip", headers=AUTH)
    assert bad.status_code == 400


def test_generate_shows_progress_and_link(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeMoodle()
    with serve(fake) as url:
        monkeypatch.setattr(client.app.state.settings.courses, "targets", json.dumps(  # type: ignore[attr-defined]
            {"uni-moodle": {"lms": "moodle", "url": url, "token": "good-token"}}))
        page = client.get(f"/courses/generate?design={PILOT}", headers=AUTH)
        assert 'value="uni-moodle"' in page.text
        started = client.post("/courses/generate", data={"design": PILOT, "target": "uni-moodle"},
                              headers={**AUTH, "Accept": "application/json"})
        assert started.status_code == 202
        job_url = started.json()["url"]
        queued = client.get(job_url, headers={**AUTH, "Accept": "application/json"}).json()
        assert queued["status"] == "queued" and "Waiting for a worker" in client.get(job_url, headers=AUTH).text
        settings = client.app.state.settings  # type: ignore[attr-defined]
        assert course_jobs.work(settings_db(client), settings, threading.Event(), once=True) == 1  # `leads worker`
        job = client.get(job_url, headers={**AUTH, "Accept": "application/json"}).json()
        html = client.get(job_url, headers=AUTH).text
        spanish = client.get(job_url + "?lang=es", headers=AUTH).text
    assert job["status"] == "done", job
    assert [s["status"] for s in job["steps"]] == ["done"] * 6
    category = job["steps"][0]["params"]["category"]
    assert category and job["steps"][0]["label"] == f"Course category “{category}”"  # English, for programs
    assert "Course with completion tracking" in html and f"Course category “{category}”" in html
    # each step in the reader's language, its values (the category's name) filled in
    assert "Curso con seguimiento de finalización" in spanish and f"Categoría de cursos «{category}»" in spanish
    assert "Course with completion tracking" not in spanish and "Nombres de las secciones" in spanish
    assert job["result"]["url"].startswith(url + "/course/view.php?id=")
    assert "Course administration → Restore" in html and job["result"]["url"] in html
    assert len(fake.courses) == 1


def settings_db(client: TestClient) -> Database:
    db: Database = client.app.state.db  # type: ignore[attr-defined]
    return db


def _store_launch(client: TestClient, launch_id: str, role: str) -> None:
    """A launch as the LTI tool stores it after validating the platform's id token (same store, same lookup)."""
    from bridge.ltitool.admin import registration_from_fields

    tool = client.app.state.lti  # type: ignore[attr-defined]
    tool.config.save(registration_from_fields(
        "https://moodle.example.org", "leads-client", "https://moodle.example.org/mod/lti/auth.php",
        "https://moodle.example.org/mod/lti/token.php", "https://moodle.example.org/mod/lti/certs.php", ["1"]))
    tool.context.store.put(launch_id, {
        "iss": "https://moodle.example.org", "aud": "leads-client", "sub": "7",
        "https://purl.imsglobal.org/spec/lti/claim/roles": [
            f"http://purl.imsglobal.org/vocab/lis/v2/membership#{role}"],
        "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest"}, 600)


def test_instructor_inside_an_lti_launch(client: TestClient) -> None:
    _store_launch(client, "lti1p3-launch-teacher", "Instructor")
    _store_launch(client, "lti1p3-launch-student", "Learner")
    page = client.get(f"/courses/generate?design={PILOT}&launch=lti1p3-launch-teacher")
    assert page.status_code == 200 and "Select content" in page.text  # deep linking for the launching course
    assert "launch=lti1p3-launch-teacher" in page.text
    learner = client.get("/courses/generate?launch=lti1p3-launch-student", headers={"Accept": "application/json"})
    assert learner.status_code == 403 and learner.json()["error"] == "instructor_only"
    unknown = client.get("/courses/generate?launch=lti1p3-launch-nope", headers={"Accept": "application/json"})
    assert unknown.status_code == 404


def test_a_failed_step_reads_in_words_and_resumes(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeMoodle()
    fake.fail["core_update_inplace_editable"] = ("nopermissions", "Sorry, but you do not currently have "
                                                 "permissions to do that (Update course settings).")
    with serve(fake) as url:
        monkeypatch.setattr(client.app.state.settings.courses, "targets", json.dumps(  # type: ignore[attr-defined]
            {"uni-moodle": {"lms": "moodle", "url": url, "token": "good-token"}}))
        job_url = client.post("/courses/generate", data={"design": PILOT, "target": "uni-moodle"},
                              headers={**AUTH, "Accept": "application/json"}).json()["url"]
        settings = client.app.state.settings  # type: ignore[attr-defined]
        assert course_jobs.work(settings_db(client), settings, threading.Event(), once=True) == 1
        job = client.get(job_url, headers={**AUTH, "Accept": "application/json"}).json()
        english = client.get(job_url, headers=AUTH).text
        spanish = client.get(job_url + "?lang=es", headers=AUTH).text
    assert job["status"] == "failed" and job["error"]["failed_step"] == "section_names"  # programs keep the ids
    assert "Stopped at “Section names”:" in english and "nopermissions" in english and ">Resume<" in english
    assert "Se detuvo en «Nombres de las secciones»:" in spanish and ">Reanudar<" in spanish
    # the reason in the reader's words around Moodle's own (Moodle answers in its site's language)
    assert "Moodle core_update_inplace_editable falló: nopermissions: Sorry, but you do not" in spanish
    assert "core_update_inplace_editable failed" not in spanish
    for page in (english, spanish):  # people see words: no step ids, no stored ids, no command-line advice
        assert "section_names" not in page and "course_id" not in page and "{&#39;" not in page
        assert "run the same command" not in page


TARGETS = {"uni-moodle": {"lms": "moodle", "url": "https://moodle.uni.example", "token": "t"},
           "edx-prod": {"lms": "openedx", "studio_url": "https://studio.example", "lms_url": "https://lms.example",
                        "client_id": "c", "client_secret": "s"}}


def test_a_launch_generates_its_own_design_or_a_course_nobody_made_yet(
        peers: Peers, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """An instructor's launch may not re-import another team's course: a launch naming a design generates that
    design only; one naming none only creates courses nobody made yet (and resumes its own course's)."""
    monkeypatch.setattr(peers.tool.settings.courses, "targets", json.dumps(TARGETS))
    with peers.db.session() as session:  # the administrator made the micro-credential's Open edX run
        CourseLinks(session).save("glam-mc-rights", "edx-prod", "openedx", steps={}, status="done",
                                  remote_id="course-v1:LEADS+GlamMcRights+2026", url=None, error=None)

    def launch(context: str, **custom: str) -> str:
        r, _ = peers.launch(PendingLaunch("resource", "teacher-1", [INSTRUCTOR], custom=custom, context=context),
                            accept="application/json")
        return str(r.json()["launch_id"])

    def generate(launch_id: str, design: str, target: str, accept: str = "application/json") -> Any:
        return peers.http.post(f"{peers.tool_base}/courses/generate", data={
            "design": design, "target": target, "launch": launch_id}, headers={"Accept": accept})

    named = launch("course-101", leads_design=PILOT)
    page = peers.http.get(f"{peers.tool_base}/courses/generate", params={"launch": named},
                          headers={"Accept": "application/json"})
    assert page.json()["designs"] == [PILOT]
    peek = peers.http.get(f"{peers.tool_base}/courses/generate", params={"launch": named, "design": "glam-mc-rights"},
                          headers={"Accept": "application/json"})  # nor another design's outline and course links
    assert peek.status_code == 403 and peek.json()["error"] == "not_this_launchs_design", peek.text
    other = generate(named, "glam-mc-rights", "edx-prod")
    assert other.status_code == 403 and other.json()["error"] == "not_this_launchs_design", other.text
    assert PILOT in other.json()["message"]
    assert generate(named, PILOT, "edx-prod").status_code == 202

    bare = launch("course-101")  # a course with no LEADS link yet
    taken = generate(bare, "glam-mc-rights", "edx-prod")
    assert taken.status_code == 403 and taken.json()["error"] == "course_of_someone_else", taken.text
    assert "glam-mc-rights" in taken.json()["message"] and "edx-prod" in taken.json()["message"]
    page = generate(bare, "glam-mc-rights", "edx-prod", "text/html")
    spanish = peers.http.post(f"{peers.tool_base}/courses/generate?lang=es", data={
        "design": "glam-mc-rights", "target": "edx-prod", "launch": bare}).text
    assert page.status_code == 403 and "was made by the site administrator or from another course" in page.text
    assert "lo creó la administración del sitio o se creó desde otro curso" in spanish
    assert generate(bare, PILOT, "edx-prod").status_code == 202  # made from this course (by its PILOT link)
    assert generate(bare, "glam-mc-rights", "uni-moodle").status_code == 202  # nobody made it yet
    assert generate(bare, "glam-mc-rights", "uni-moodle").status_code == 202  # its own course: may resume
    elsewhere = generate(launch("course-202"), "glam-mc-rights", "uni-moodle")
    assert elsewhere.status_code == 403 and elsewhere.json()["error"] == "course_of_someone_else"
    assert generate(launch("course-202"), PILOT, "edx-prod").status_code == 403  # course-101's launch made it


def test_the_generation_page_names_the_designs_in_the_readers_language(peers: Peers) -> None:  # noqa: F811
    r, _ = peers.launch(PendingLaunch("resource", "teacher-1", [INSTRUCTOR], locale="es"), accept="application/json")
    launch = r.json()["launch_id"]
    page = peers.http.get(f"{peers.tool_base}/courses/generate", params={"launch": launch, "lang": "es"})
    assert page.status_code == 200
    assert "Microcredencial: Derechos y licencias para subidas GLAM" in page.text
    assert "Micro-credential: Rights and licensing" not in page.text
    english = peers.http.get(f"{peers.tool_base}/courses/generate", params={"launch": launch, "lang": "en"})
    assert "Micro-credential: Rights and licensing for GLAM uploads" in english.text
