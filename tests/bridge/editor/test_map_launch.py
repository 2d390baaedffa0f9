"""Cat's map inside her course (an LTI launch on the loopback platform): the certificates LEADS issued her count as
held, without pasting anything; another learner's launch shows none of them."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from bridge.awards.issuers import CredentialsServiceIssuer
from bridge.awards.worker import Worker
from bridge.credentials.service import CredentialService
from bridge.ltitool import services
from tests.bridge.ltitool.conftest import Peers, peers  # noqa: F401  - the loopback platform + tool fixture
from tests.lti.platform import INSTRUCTOR, LEARNER, PendingLaunch, form_fields

DESIGN = "glam-mc-rights"
PRACTICE = "glam-archive-to-commons"


def test_map_from_my_issued_certificates(peers: Peers) -> None:  # noqa: F811
    r, _ = peers.launch(PendingLaunch("deeplink", "teacher-1", [INSTRUCTOR]))
    launch_id = r.text.split("/lti/deep-link/", 1)[1].split('"', 1)[0].split("?", 1)[0]
    action, fields = form_fields(peers.http.post(f"{peers.tool_base}/lti/deep-link/{launch_id}",
                                                 data={"design": DESIGN}).text)
    assert peers.http.post(action, data=fields).status_code == 200
    r, _ = peers.launch(PendingLaunch("resource", "teacher-1", [INSTRUCTOR]), accept="application/json")
    gradebook = services.ags(peers.tool, r.json()["launch_id"])
    item = next(i["id"] for i in gradebook.line_items() if i["resourceId"] == "glam-as-rights-quiz")
    gradebook.post_score(item, {"userId": "learner-1", "scoreGiven": 90, "scoreMaximum": 100,
                                "activityProgress": "Completed", "gradingProgress": "FullyGraded",
                                "timestamp": datetime.now(UTC).isoformat()})
    r, _ = peers.launch(PendingLaunch("resource", "learner-1", [LEARNER],
                                      custom={"leads_action": "claim", "leads_design": DESIGN}),
                        accept="application/json")
    learner = r.json()["launch_id"]
    assert peers.http.get(f"{peers.tool_base}/awards/claim/{learner}").status_code == 200
    issuer = CredentialsServiceIssuer(CredentialService(peers.db, peers.tool.settings))
    Worker(peers.db, issuer).run(threading.Event(), once=True)

    mine = peers.http.get(f"{peers.tool_base}/map/launch/{learner}", params={"practice": PRACTICE},
                          headers={"Accept": "application/json"}).json()
    assert [c["key"] for c in mine["held"]] == ["glam-copyright-assessment"]
    assert [c["counted"] for c in mine["credentials"]] == [True]
    other, _ = peers.launch(PendingLaunch("resource", "learner-2", [LEARNER]), accept="application/json")
    theirs = peers.http.get(f"{peers.tool_base}/map/launch/{other.json()['launch_id']}",
                            params={"practice": PRACTICE}, headers={"Accept": "application/json"}).json()
    assert theirs["held"] == [] and theirs["credentials"] == []
