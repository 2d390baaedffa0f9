"""The award pages tell the credential's real standing: a credential an administrator suspended or revoked through
``/api/credentials/{id}/…`` (or ``leads credential``) never went through the award, which stayed "issued"; before
(2026-12 audit), My certificates offered its PDF and LinkedIn links (answering 409/410) and the instructor's
dashboard counted it issued."""

from __future__ import annotations

from typing import Any

from tests.bridge.ltitool.claims import learner_has_a_certificate
from tests.bridge.ltitool.conftest import Peers, peers  # noqa: F401  - the loopback platform + tool fixture
from tests.lti.platform import INSTRUCTOR, PendingLaunch

ADMIN = {"Authorization": "Bearer change-me-dev-only"}
JSON = {"Accept": "application/json"}


def _board_url(peers: Peers) -> str:  # noqa: F811
    r, _ = peers.launch(PendingLaunch("resource", "teacher-1", [INSTRUCTOR]), accept="application/json")
    return f"{peers.tool_base}/awards/course/{r.json()['launch_id']}"


def _dashboard(peers: Peers, **params: str) -> dict[str, Any]:  # noqa: F811
    body: dict[str, Any] = peers.http.get(_board_url(peers), params=params, headers=JSON).json()
    return body


def test_my_certificates_and_the_dashboard_follow_a_suspension_and_a_revocation_made_on_the_credential(
        peers: Peers) -> None:  # noqa: F811
    ada = learner_has_a_certificate(peers)
    mine_url = f"{peers.tool_base}/awards/mine/{ada}"
    award = peers.http.get(mine_url, headers=JSON).json()["awards"][0]
    cid = award["credential_id"].removeprefix("urn:uuid:")
    assert award["state"] == "issued" and _dashboard(peers)["counts"]["issued"] == 1

    api = f"{peers.tool_base}/api/credentials/{cid}"
    assert peers.http.post(f"{api}/suspend", json={"reason": "integrity review"}, headers=ADMIN).status_code == 200
    assert peers.http.get(mine_url, headers=JSON).json()["awards"][0]["state"] == "suspended"
    for lang, says in (("en", "Suspended by the issuer"), ("es", "Suspendido por el emisor")):
        page = peers.http.get(mine_url, params={"lang": lang}).text
        assert says in page, lang
        assert "certificate.pdf" not in page and "linkedin.com/profile/add" not in page
        assert "integrity review" not in page  # the administrator's words are theirs
    board = _dashboard(peers)
    assert (board["counts"]["issued"], board["counts"]["suspended"]) == (0, 1)
    assert [a["state"] for a in board["awards"]] == ["suspended"]
    assert [a["id"] for a in _dashboard(peers, state="suspended")["awards"]] == [award["id"]]
    assert _dashboard(peers, state="issued")["awards"] == []
    edc = peers.http.post(f"{mine_url}/edc/{award['id']}", headers=JSON)  # no new signed EDC of a withdrawn one
    assert edc.status_code == 409 and edc.json()["error"] == "not_issued", edc.text

    assert peers.http.post(f"{api}/unsuspend", json={"reason": "cleared"}, headers=ADMIN).status_code == 200
    assert peers.http.get(mine_url, headers=JSON).json()["awards"][0]["state"] == "issued"
    assert "certificate.pdf" in peers.http.get(mine_url).text

    assert peers.http.post(f"{api}/revoke", json={"reason": "integrity review"}, headers=ADMIN).status_code == 200
    assert peers.http.get(mine_url, headers=JSON).json()["awards"][0]["state"] == "revoked"
    page = peers.http.get(mine_url, params={"lang": "en"}).text
    assert "Revoked" in page and "certificate.pdf" not in page and "linkedin.com/profile/add" not in page
    board = _dashboard(peers)
    assert (board["counts"]["issued"], board["counts"]["revoked"], board["counts"]["suspended"]) == (0, 1, 0)
    assert [a["id"] for a in _dashboard(peers, state="revoked")["awards"]] == [award["id"]]
    html = peers.http.get(_board_url(peers), params={"lang": "en"}).text
    assert "Earned and issued: <strong>0</strong>" in html and "revoked: <strong>1</strong>" in html
