"""``/issuers/{slug}``, an anonymous page: what an organisation issues is read by one index probe per design of the
data space, and not at all for the installation itself (it lists every design). Before (2026-12 audit) every request
ran ``SELECT DISTINCT design_key`` over all the issuer's credentials — 470 ms at 200,000 on SQLite, also for the root
issuer, whose answer was unused."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from bridge.credentials.records import designs_issued_statement
from bridge.credentials.service import CredentialService
from bridge.db import Database
from tests.bridge.credentials.conftest import client, issue  # noqa: F401  - two issuing organisations
from tests.bridge.db.sent import sent_to


def _reads(statements: list[str]) -> list[str]:
    return [s for s in statements if "issued_credentials" in s]


def test_the_root_issuer_page_reads_no_credential(client: TestClient) -> None:  # noqa: F811
    issue(client)
    with sent_to(client.app.state.db) as sent:  # type: ignore[attr-defined]
        page = client.get("/issuers/leads")
    assert page.status_code == 200 and "glam-mc-rights" in page.text
    assert _reads(sent.statements) == []


def test_an_organisation_lists_the_designs_it_issued(client: TestClient) -> None:  # noqa: F811
    issue(client, issuer="wikimedia-es")
    page = client.get("/issuers/wikimedia-es")
    assert page.status_code == 200 and "glam-mc-rights" in page.text
    assert "glam-archive-to-commons-certificate" not in page.text  # a design it never issued
    with sent_to(client.app.state.db) as sent:  # type: ignore[attr-defined]
        client.get("/issuers/wikimedia-es")
    assert [s for s in _reads(sent.statements) if "DISTINCT" in s.upper()] == []


def test_the_designs_an_issuer_issued_are_index_probes(db: Database, client: TestClient) -> None:  # noqa: F811
    issue(client, issuer="wikimedia-es")
    svc: CredentialService = client.app.state.credentials  # type: ignore[attr-defined]
    keys = ["glam-mc-rights", "glam-archive-to-commons-certificate", "nothing-like-it"]
    assert svc.designs_issued("wikimedia-es", keys) == {"glam-mc-rights"}
    assert svc.designs_issued("leads", keys) == set()
    assert svc.designs_issued("wikimedia-es", []) == set()
    statement = designs_issued_statement("wikimedia-es", keys)
    sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
    with db.engine.connect() as conn:
        if db.is_sqlite:
            plan = " ".join(str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
            assert "SCAN issued_credentials" not in plan, plan
        else:
            conn.execute(text("SET enable_seqscan = off"))  # a few rows: the planner would rather read the table
            plan = " ".join(str(r[0]) for r in conn.execute(text(f"EXPLAIN {sql}")))
            assert "Seq Scan on issued_credentials" not in plan, plan
    assert "ix_issued_credentials_issuer_design" in plan, plan


def test_a_badge_of_a_key_no_design_can_have_is_a_404_not_a_500(client: TestClient) -> None:  # noqa: F811
    """``/badges/<255 characters>.png`` asked the file system for a name too long (ENAMETOOLONG: a 500); a key is
    checked against the design-key pattern first."""
    for key in ("a" * 255, "a" * 3000, "A-Capital", "-dash-first", "a" * 201):
        for ext in ("png", "svg"):
            r = client.get(f"/badges/{key}.{ext}", headers={"Accept": "application/json", "Accept-Language": "es"})
            assert r.status_code == 404, (len(key), ext, r.status_code)
            assert r.json()["error"] == "design_not_found"
            assert len(r.json()["message"]) < 200  # not the whole key back
    page = client.get(f"/badges/{'a' * 300}.png", headers={"Accept-Language": "es"})
    assert page.status_code == 404 and "No hay ningún diseño de credencial con la clave" in page.text
    assert client.get("/badges/glam-mc-rights.svg").status_code == 200
