"""Cat's map inside her course (an LTI launch on the loopback platform): the certificates LEADS issued her count as
held, without pasting anything; another learner's launch shows none of them."""

from __future__ import annotations

from tests.bridge.ltitool.claims import learner_has_a_certificate
from tests.bridge.ltitool.conftest import Peers, peers  # noqa: F401  - the loopback platform + tool fixture
from tests.lti.platform import LEARNER, PendingLaunch

DESIGN = "glam-mc-rights"
PRACTICE = "glam-archive-to-commons"


def test_map_from_my_issued_certificates(peers: Peers) -> None:  # noqa: F811
    learner = learner_has_a_certificate(peers, design=DESIGN)

    mine = peers.http.get(f"{peers.tool_base}/map/launch/{learner}", params={"practice": PRACTICE},
                          headers={"Accept": "application/json"}).json()
    assert [c["key"] for c in mine["held"]] == ["glam-copyright-assessment"]
    assert [c["counted"] for c in mine["credentials"]] == [True]
    other, _ = peers.launch(PendingLaunch("resource", "learner-2", [LEARNER]), accept="application/json")
    theirs = peers.http.get(f"{peers.tool_base}/map/launch/{other.json()['launch_id']}",
                            params={"practice": PRACTICE}, headers={"Accept": "application/json"}).json()
    assert theirs["held"] == [] and theirs["credentials"] == []
