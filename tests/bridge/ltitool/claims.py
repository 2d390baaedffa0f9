"""A learner with an issued certificate, the way it happens in a course: the teacher deep-links a design, grades
the quiz through AGS, the learner claims, and the award worker signs. Shared by the tests that start from there."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from bridge.awards.credential_adapters import CredentialsServiceIssuer
from bridge.awards.worker import Worker
from bridge.credentials.service import CredentialService
from bridge.ltitool import services
from tests.bridge.ltitool.conftest import Peers
from tests.lti.platform import INSTRUCTOR, LEARNER, PendingLaunch, form_fields

DESIGN = "glam-mc-rights"
QUIZ = "glam-as-rights-quiz"


def learner_has_a_certificate(peers: Peers, learner: str = "learner-1", design: str = DESIGN) -> str:
    """The learner's launch id once the certificate of ``design`` is issued to them."""
    r, _ = peers.launch(PendingLaunch("deeplink", "teacher-1", [INSTRUCTOR]))
    launch_id = r.text.split("/lti/deep-link/", 1)[1].split('"', 1)[0].split("?", 1)[0]
    action, fields = form_fields(peers.http.post(f"{peers.tool_base}/lti/deep-link/{launch_id}",
                                                 data={"design": design}).text)
    assert peers.http.post(action, data=fields).status_code == 200
    r, _ = peers.launch(PendingLaunch("resource", "teacher-1", [INSTRUCTOR]), accept="application/json")
    gradebook = services.ags(peers.tool, r.json()["launch_id"])
    item = next(i["id"] for i in gradebook.line_items() if i["resourceId"] == QUIZ)
    gradebook.post_score(item, {"userId": learner, "scoreGiven": 90, "scoreMaximum": 100,
                                "activityProgress": "Completed", "gradingProgress": "FullyGraded",
                                "timestamp": datetime.now(UTC).isoformat()})
    r, _ = peers.launch(PendingLaunch("resource", learner, [LEARNER],
                                      custom={"leads_action": "claim", "leads_design": design}),
                        accept="application/json")
    launch = str(r.json()["launch_id"])
    assert peers.http.get(f"{peers.tool_base}/awards/claim/{launch}").status_code == 200
    issuer = CredentialsServiceIssuer(CredentialService(peers.db, peers.tool.settings))
    Worker(peers.db, issuer).run(threading.Event(), once=True)
    return launch
