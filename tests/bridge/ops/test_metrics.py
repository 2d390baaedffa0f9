"""Scraping /metrics after a small cohort: grades become awards, the worker signs them, they are verified and one
is revoked, and every counter and gauge the operator watches moves accordingly."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bridge.awards import service
from bridge.awards.credential_adapters import CredentialsServiceIssuer
from bridge.awards.service import GradeInput
from bridge.awards.worker import Worker
from bridge.credentials.service import CredentialService
from bridge.db import Database
from bridge.settings import Settings
from tests.bridge.credentials.conftest import ADMIN, _client

STACK = "glam-archive-to-commons-certificate"
QUIZ, PORTFOLIO, PROJECT = "glam-as-rights-quiz", "glam-as-digitisation-portfolio", "glam-as-upload-project"
SAMPLE = re.compile(r"^([a-z_:]+)(\{[^}]*\})? (\S+)$")


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    yield from _client(settings, db)


def scrape(client: TestClient) -> dict[str, float]:
    response = client.get("/metrics", headers=ADMIN)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    out: dict[str, float] = {}
    for line in response.text.splitlines():
        found = SAMPLE.match(line)
        if found and not line.startswith("#"):
            out[found.group(1) + (found.group(2) or "")] = float(found.group(3))
    return out


def total(sample: dict[str, float], name: str, **labels: str) -> float:
    want = [f'{k}="{v}"' for k, v in labels.items()]
    return sum(v for k, v in sample.items()
               if (k == name or k.startswith(name + "{")) and all(w in k for w in want))


def grades(learner: str, project: float) -> list[GradeInput]:
    def g(assessment: str, score: float, maximum: float) -> GradeInput:
        return GradeInput(source="cohort", learner=learner, design=STACK, assessment=assessment, score=score,
                          maximum=maximum, learner_name=f"Learner {learner}")
    return [g(QUIZ, 8, 10), g(PORTFOLIO, 70, 100), g(PROJECT, project, 1)]


def test_metrics_need_the_admin_token(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_a_small_cohort_moves_the_counters(client: TestClient, db: Database) -> None:
    before = scrape(client)
    with db.session() as session:
        rules = service.load_rules(session)
        for learner, project in (("ada", 0.9), ("grace", 0.8), ("alan", 0.1)):  # alan fails the project
            service.record_all(session, rules, grades(learner, project))
    queued = scrape(client)
    assert total(queued, "leads_award_queue_depth", kind="issue", state="queued") > 0
    assert total(queued, "leads_award_queue_oldest_age_seconds") >= 0

    worker = Worker(db, CredentialsServiceIssuer(CredentialService(db, client.app.state.settings)))  # type: ignore[attr-defined]
    while worker.run_once():
        pass
    with db.session() as session:
        from sqlalchemy import select

        from bridge.credentials.tables import IssuedCredentialRow

        rows = list(session.scalars(select(IssuedCredentialRow)))
    assert len(rows) >= 4  # ada and grace: their parts and the stack; alan: the parts he passed
    for row in rows[:3]:
        assert client.post("/api/verify", json=row.document).status_code == 200
    revoked = client.post(f"/api/credentials/{rows[0].id}/revoke", json={"reason": "cohort test"}, headers=ADMIN)
    assert revoked.status_code == 200, revoked.text
    assert client.post("/api/verify", json=rows[0].document).json()["verdict"] == "revoked"

    after = scrape(client)
    grew = {name: total(after, name) - total(before, name) for name in (
        "leads_credentials_issued_total", "leads_credentials_revoked_total", "leads_verifications_total",
        "leads_http_requests_total")}
    assert grew["leads_credentials_issued_total"] == len(rows)
    assert grew["leads_credentials_revoked_total"] == 1
    assert grew["leads_verifications_total"] == 4
    assert total(after, "leads_verifications_total", outcome="revoked") - \
        total(before, "leads_verifications_total", outcome="revoked") == 1
    assert grew["leads_http_requests_total"] >= 5  # the verifications and the revocation, at least
    assert total(after, "leads_http_requests_total", route="/api/verify", method="POST", status="200") >= 4
    assert total(after, "leads_http_request_duration_seconds_count", route="/api/verify") >= 4
    assert total(after, "leads_award_queue_depth", kind="issue") == 0  # the worker emptied it
    assert total(after, "leads_award_jobs_failed") == 0
    assert 0 <= total(after, "leads_worker_heartbeat_age_seconds") < 60  # the worker beat as it ran
    fills = {k: v for k, v in after.items() if k.startswith("leads_status_list_fill_ratio{")}
    assert fills and all(0 < v <= 1 for v in fills.values())


def test_an_lti_launch_is_counted_by_outcome(client: TestClient) -> None:
    before = scrape(client)
    assert client.post("/lti/launch", data={"id_token": "not-a-jwt", "state": "x"}).status_code >= 400
    after = scrape(client)
    assert total(after, "leads_lti_launches_total", outcome="refused") - \
        total(before, "leads_lti_launches_total", outcome="refused") == 1
