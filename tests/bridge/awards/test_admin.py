"""Failed jobs are visible and retryable: admin JSON API (bearer token) and `leads awards failed/retry`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from typer.testing import CliRunner

from bridge.awards import operations, runner, service
from bridge.awards.endpoints import router
from bridge.awards.issuer_port import IssuedCredential, IssueRequest
from bridge.awards.service import GradeInput
from bridge.awards.tables import Award, Job
from bridge.awards.worker import Worker
from bridge.dataspace import service as dataspace
from bridge.db import Database
from bridge.errors import LeadsError
from bridge.settings import Settings
from bridge.web import admin
from bridge.web.errors import install_error_handlers

STACK = "glam-archive-to-commons-certificate"
TOKEN = {"Authorization": "Bearer admin-token-for-tests-123"}


class Broken:
    def issue(self, request: IssueRequest) -> IssuedCredential:
        raise RuntimeError("status list storage is full")

    def revoke(self, award_id: str, credential_id: str, reason: str) -> None:
        raise RuntimeError("unused")


@pytest.fixture
def failed_job(db: Database) -> int:
    dataspace.store(db, dataspace.read_design_set_file(dataspace.SAMPLE_DESIGN_SET))
    with db.session() as session:
        rules = service.load_rules(session)
        service.record(session, rules, GradeInput(source="t", learner="ada", learner_name="Ada", design=STACK,
                                                  assessment="glam-as-rights-quiz", score=9, maximum=10),
                       max_attempts=1)
    Worker(db, Broken()).run_once()
    with db.session() as session:
        [job] = operations.failed_page(session).jobs
        return job.id


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    app = FastAPI()
    app.state.db = db
    app.state.settings = Settings(admin_token=SecretStr("admin-token-for-tests-123"), load_sample=False)
    app.state.admin_limiter = admin.FailureLimiter()
    install_error_handlers(app)
    app.include_router(router)
    with TestClient(app) as c:
        yield c


def test_admin_api_lists_and_retries_failed_jobs(client: TestClient, failed_job: int) -> None:
    assert client.get("/api/admin/awards/failed").status_code == 401
    assert client.get("/api/admin/awards/failed", headers={"Authorization": "Bearer wrong"}).status_code == 401
    [job] = client.get("/api/admin/awards/failed", headers=TOKEN).json()["jobs"]
    assert job["id"] == failed_job and "status list storage is full" in job["last_error"]
    listing = client.get("/api/admin/awards", params={"design": STACK}, headers=TOKEN).json()
    assert listing["counts"] == {"failed": 1}
    r = client.post(f"/api/admin/awards/jobs/{failed_job}/retry", headers=TOKEN)
    assert r.status_code == 200 and r.json()["job"]["state"] == "queued"
    again = client.post(f"/api/admin/awards/jobs/{failed_job}/retry", headers=TOKEN)
    assert (again.status_code, again.json()["error"]) == (409, "not_failed")
    assert client.post("/api/admin/awards/jobs/999999/retry", headers=TOKEN).status_code == 404
    for too_big in (2**31, 2**63):  # past PostgreSQL's INTEGER, past SQLite's: refused before the driver sees it
        huge = client.post(f"/api/admin/awards/jobs/{too_big}/retry", headers=TOKEN)
        assert huge.status_code == 422, huge.text
    award_id = listing["awards"][0]["id"]
    no_reason = client.post(f"/api/admin/awards/{award_id}/revoke", json={"reason": ""}, headers=TOKEN)
    assert (no_reason.status_code, no_reason.json()["error"]) == (422, "reason_required")


def test_cli_failed_and_retry(db: Database, failed_job: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from bridge.cli import awards as cli_awards

    monkeypatch.setattr(cli_awards, "database", lambda: db)
    listed = CliRunner().invoke(cli_awards.app, ["failed", "--json"])
    assert listed.exit_code == 0 and json.loads(listed.output)[0]["id"] == failed_job
    retried = CliRunner().invoke(cli_awards.app, ["retry", str(failed_job)])
    assert retried.exit_code == 0 and "queued again" in retried.output
    twice = CliRunner().invoke(cli_awards.app, ["retry", str(failed_job)])
    assert twice.exit_code == 2 and "only failed jobs" in twice.output
    huge = CliRunner().invoke(cli_awards.app, ["retry", str(2**63)])
    assert huge.exit_code == 2 and f"no job {2**63}" in huge.output, huge.output
    assert CliRunner().invoke(cli_awards.app, ["failed"]).output.strip() == "no failed jobs"


def test_sqlite_runs_one_worker() -> None:
    with pytest.raises(LeadsError, match="SQLite runs one worker"):
        runner.run(Settings(database_url="sqlite:////tmp/x.sqlite3"), "credentials", concurrency=2)
    with pytest.raises(LeadsError, match="at least 1"):
        runner.run(Settings(database_url="sqlite:////tmp/x.sqlite3"), "credentials", concurrency=0)


def _outage(db: Database, issue: int, pdf: int) -> list[str]:
    """What an outage of the key store leaves: ``issue`` awards whose issue job gave up, ``pdf`` failed PDF jobs, and
    an award revoked while its job was failing (queued again, it must stay revoked)."""
    now = datetime.now(UTC)
    ids = []
    with db.session() as session:
        for i in range(issue + pdf + 1):
            kind = "issue" if i < issue or i == issue + pdf else "pdf"
            state = "revoked" if i == issue + pdf else ("failed" if kind == "issue" else "issued")
            award = Award(learner=f"t:l{i}", design=STACK, achievement=STACK, context="c", state=state)
            session.add(award)
            session.flush()
            ids.append(award.id)
            session.add(Job(kind=kind, award_id=award.id, payload={}, state="failed", attempts=8, max_attempts=8,
                            last_error="the key store did not answer", next_attempt_at=now,
                            created_at=now, updated_at=now - timedelta(seconds=i // 2)))  # ties by id
        session.add(Job(kind="issue", award_id=ids[0], payload={}, state="done", attempts=1, created_at=now,
                        updated_at=now, next_attempt_at=now))
    return ids


def test_an_outage_of_failed_jobs_is_counted_paged_and_queued_again_at_once(
        client: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _outage(db, issue=30, pdf=5)
    assert client.post("/api/admin/awards/failed/retry").status_code == 401
    body = client.get("/api/admin/awards/failed", headers=TOKEN).json()
    assert (body["total"], body["by_kind"], body["next"]) == (36, {"issue": 31, "pdf": 5}, None)
    monkeypatch.setattr(operations, "FAILED_PAGE", 7)
    seen, url = [], "/api/admin/awards/failed?kind=issue"
    while url:
        page = client.get(url, headers=TOKEN).json()
        assert len(page["jobs"]) <= 7 and page["total"] == 36
        seen += [(j["updated_at"], j["id"]) for j in page["jobs"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 31 and seen == sorted(seen, reverse=True)  # the most recently failed first
    cut = client.get("/api/admin/awards/failed", params={"after": "WyIyMDI2Il0"}, headers=TOKEN)
    assert (cut.status_code, cut.json()["error"]) == (422, "invalid_cursor")

    queued = client.post("/api/admin/awards/failed/retry", json={"kind": "pdf"}, headers=TOKEN)
    assert queued.status_code == 200 and queued.json() == {"queued": 5}
    assert client.get("/api/admin/awards/failed", headers=TOKEN).json()["by_kind"] == {"issue": 31}
    assert client.post("/api/admin/awards/failed/retry", headers=TOKEN).json() == {"queued": 31}
    assert client.get("/api/admin/awards/failed", headers=TOKEN).json()["total"] == 0
    with db.session() as session:
        states = {a.id: a.state for a in session.scalars(select(Award).where(Award.id.in_(ids)))}
        jobs = session.scalars(select(Job).where(Job.award_id.in_(ids), Job.state != "done")).all()
    assert [states[i] for i in ids] == ["pending"] * 30 + ["issued"] * 5 + ["revoked"]
    assert {(j.state, j.attempts, j.last_error) for j in jobs} == {("queued", 0, "the key store did not answer")}


def test_every_award_listed_a_page_at_a_time(client: TestClient, db: Database,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _outage(db, issue=12, pdf=0)
    monkeypatch.setattr(operations, "AWARDS_PAGE", 5)
    seen, url = [], "/api/admin/awards"
    while url:
        body = client.get(url, headers=TOKEN).json()
        assert len(body["awards"]) <= 5 and body["counts"] == {"failed": 12, "revoked": 1}
        seen += [a["id"] for a in body["awards"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 13


def test_cli_retries_every_failed_job_after_an_outage(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from bridge.cli import awards as cli_awards

    _outage(db, issue=3, pdf=2)
    monkeypatch.setattr(cli_awards, "database", lambda: db)
    monkeypatch.setattr(operations, "FAILED_PAGE", 2)
    listed = CliRunner().invoke(cli_awards.app, ["failed"])
    assert listed.output.splitlines()[0] == "6 failed jobs (issue: 4, pdf: 2); the 2 most recent:", listed.output
    for wrong in (["retry"], ["retry", "1", "--all-failed"], ["retry", "1", "--kind", "pdf"]):
        refused = CliRunner().invoke(cli_awards.app, wrong)
        assert refused.exit_code == 2 and "give one job id, or --all-failed" in refused.output, refused.output
    pdf = CliRunner().invoke(cli_awards.app, ["retry", "--all-failed", "--kind", "pdf"])
    assert pdf.exit_code == 0 and pdf.output.startswith("2 failed jobs queued again"), pdf.output
    rest = CliRunner().invoke(cli_awards.app, ["retry", "--all-failed"])
    assert rest.exit_code == 0 and rest.output.startswith("4 failed jobs queued again"), rest.output
    assert CliRunner().invoke(cli_awards.app, ["failed"]).output.strip() == "no failed jobs"
