"""Failed jobs are visible and retryable: admin JSON API (bearer token) and `leads awards failed/retry`."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from bridge.awards import runner, service
from bridge.awards.endpoints import router
from bridge.awards.issuer_port import IssuedCredential, IssueRequest
from bridge.awards.service import GradeInput
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
        [job] = service.failed_jobs(session)
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
