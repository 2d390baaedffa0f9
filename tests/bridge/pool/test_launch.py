"""Cat publishes from "My certificates" inside her LTI launch (lti1p3platform on loopback): no token, the launch
says who she is; David finds her; she takes it out again. Grades arrive through AGS, a worker signs."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import httpx

from bridge.awards.issuers import CredentialsServiceIssuer
from bridge.awards.worker import Worker
from bridge.credentials.service import CredentialService
from bridge.ltitool import services
from tests.bridge.ltitool.conftest import Peers, peers  # noqa: F401  - the loopback platform + tool fixture
from tests.lti.platform import INSTRUCTOR, LEARNER, PendingLaunch, form_fields

DESIGN = "glam-mc-rights"
COMPETENCE = "glam-copyright-assessment"


def people(http: httpx.Client, base: str) -> list[str]:
    found = http.get(f"{base}/pool", params={"competence": COMPETENCE}, headers={"Accept": "application/json"})
    return [p["display_name"] for p in found.json()["people"]]


def test_publish_and_unpublish_from_my_certificates(peers: Peers) -> None:  # noqa: F811
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
    settings = peers.tool.settings
    Worker(peers.db, CredentialsServiceIssuer(CredentialService(peers.db, settings))).run(threading.Event(), once=True)

    certificates = peers.http.get(f"{peers.tool_base}/awards/mine/{learner}").text
    assert f'href="/pool/launch/{learner}"' in certificates  # "My certificates" leads to publishing
    mine = peers.http.get(f"{peers.tool_base}/pool/launch/{learner}", headers={"Accept": "application/json"}).json()
    assert [(c["award"] is not None, c["entry"]) for c in mine["credentials"]] == [(True, None)]
    award = mine["credentials"][0]["award"]
    page = peers.http.get(f"{peers.tool_base}/pool/launch/{learner}")
    assert f'action="/pool/launch/{learner}/publish/{award}"' in page.text

    published = peers.http.post(f"{peers.tool_base}/pool/launch/{learner}/publish/{award}")
    assert published.status_code == 303
    assert "Published." in peers.http.get(f"{peers.tool_base}{published.headers['location']}").text
    mine = peers.http.get(f"{peers.tool_base}/pool/launch/{learner}", headers={"Accept": "application/json"}).json()
    entry, handle = mine["credentials"][0]["entry"], mine["profile"]
    assert entry is not None and handle
    assert len(people(peers.http, peers.tool_base)) == 1
    profile = peers.http.get(f"{peers.tool_base}/pool/people/{handle}", headers={"Accept": "application/json"})
    assert [c["design"] for c in profile.json()["credentials"]] == [DESIGN]
    assert "@" not in profile.text  # no e-mail, whatever the platform shared

    # someone else's launch cannot take it out, and an unknown award cannot be published
    other, _ = peers.launch(PendingLaunch("resource", "learner-2", [LEARNER]), accept="application/json")
    other_id = other.json()["launch_id"]
    assert peers.http.post(f"{peers.tool_base}/pool/launch/{other_id}/unpublish/{entry}").status_code == 404
    refused = peers.http.post(f"{peers.tool_base}/pool/launch/{other_id}/publish/{award}")
    assert refused.status_code == 403 and "only your own certificates" in refused.text

    assert peers.http.post(f"{peers.tool_base}/pool/launch/{learner}/unpublish/{entry}").status_code == 303
    assert people(peers.http, peers.tool_base) == []
