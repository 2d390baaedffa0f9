"""What the status check says about a credential this installation revoked: a fixed public category at most, never
the words an administrator or instructor typed for the record (2026-12 audit: "Plagiarism: … (case 2026-114)" was
printed on the public certificate page)."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient

from bridge.credentials.reasons import PUBLIC_KEY_RETIRED, key_retired_reason, public_reason
from tests.bridge.credentials.conftest import ADMIN, issue

PRIVATE = "Plagiarism: copied assignment 3 from another learner (case 2026-114)"


def test_a_typed_revocation_reason_stays_with_the_admins_never_on_public_pages(client: TestClient) -> None:
    issued = issue(client)
    cid = str(issued["id"])
    revoked = client.post(f"/api/credentials/{cid}/revoke", json={"reason": PRIVATE}, headers=ADMIN)
    assert revoked.status_code == 200 and revoked.json()["revoked_reason"] == PRIVATE  # kept, for the admins
    anonymous = TestClient(client.app)
    for lang in ("en", "es"):
        page = anonymous.get(f"/credentials/{cid}/certificate?lang={lang}")
        assert page.status_code == 200
        assert 'data-verdict="revoked"' in page.text
        assert "Plagiarism" not in html.unescape(page.text), lang
    report = anonymous.post("/api/verify", json=issued["credential"]).json()
    status = next(c for c in report["checks"] if c["name"] == "status")
    assert report["verdict"] == "revoked" and status["message"] == "revoked", status


def test_only_the_key_retirement_category_is_public() -> None:
    stored = key_retired_reason("  laptop stolen from the office ")
    assert stored == "signing key retired (laptop stolen from the office); a replacement is issued"
    assert public_reason(stored) == PUBLIC_KEY_RETIRED == "signing key retired; a replacement is issued"
    assert "laptop" not in PUBLIC_KEY_RETIRED
    for typed in (PRIVATE, "duplicate", "", None, "the signing key retired (no)"):
        assert public_reason(typed) is None
