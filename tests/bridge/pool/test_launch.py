"""Cat publishes from "My certificates" inside her LTI launch (lti1p3platform on loopback): no token, the launch
says who she is; David finds her; she takes it out again. Grades arrive through AGS, a worker signs."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from bridge.awards.api import Award
from tests.bridge.ltitool.claims import learner_has_a_certificate
from tests.bridge.ltitool.conftest import Peers, peers  # noqa: F401  - the loopback platform + tool fixture
from tests.bridge.pool.test_pool import ADMIN
from tests.lti.platform import LEARNER, PendingLaunch

DESIGN = "glam-mc-rights"
COMPETENCE = "glam-copyright-assessment"


def people(http: httpx.Client, base: str) -> list[str]:
    found = http.get(f"{base}/pool", params={"competence": COMPETENCE}, headers={"Accept": "application/json"})
    return [p["display_name"] for p in found.json()["people"]]


def test_publish_and_unpublish_from_my_certificates(peers: Peers) -> None:  # noqa: F811
    learner = learner_has_a_certificate(peers, design=DESIGN)

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

    # suspended by the issuer: the page says the pool does not show it, and why, instead of "in the pool"
    with peers.db.session() as session:
        credential = session.scalar(select(Award.credential_id).where(Award.id == award))
    assert peers.http.post(f"{peers.tool_base}/api/credentials/{credential}/suspend", headers=ADMIN,
                           json={"reason": "review"}).status_code == 200
    mine = peers.http.get(f"{peers.tool_base}/pool/launch/{learner}", headers={"Accept": "application/json"}).json()
    assert [(c["entry"], c["hidden_because"]) for c in mine["credentials"]] == [(entry, "suspended")]
    for lang, words, listed in (("en", "Suspended by its issuer", "— in the pool"),
                                ("es", "Suspendida por su emisor", "— en el directorio")):
        shown = peers.http.get(f"{peers.tool_base}/pool/launch/{learner}?lang={lang}").text
        assert words in shown and listed not in shown
        assert f'action="/pool/launch/{learner}/unpublish/{entry}"' in shown
    assert peers.http.post(f"{peers.tool_base}/api/credentials/{credential}/unsuspend", headers=ADMIN,
                           json={"reason": "review closed"}).status_code == 200
    mine = peers.http.get(f"{peers.tool_base}/pool/launch/{learner}", headers={"Accept": "application/json"}).json()
    assert [(c["entry"], c["hidden_because"]) for c in mine["credentials"]] == [(entry, None)]
    assert "— in the pool" in peers.http.get(f"{peers.tool_base}/pool/launch/{learner}?lang=en").text

    # someone else's launch cannot take it out, and an unknown award cannot be published
    other, _ = peers.launch(PendingLaunch("resource", "learner-2", [LEARNER]), accept="application/json")
    other_id = other.json()["launch_id"]
    assert peers.http.post(f"{peers.tool_base}/pool/launch/{other_id}/unpublish/{entry}").status_code == 404
    refused = peers.http.post(f"{peers.tool_base}/pool/launch/{other_id}/publish/{award}")
    assert refused.status_code == 403 and "only your own certificates" in refused.text

    assert peers.http.post(f"{peers.tool_base}/pool/launch/{learner}/unpublish/{entry}").status_code == 303
    assert people(peers.http, peers.tool_base) == []

    # the learner deletes the profile the launch opened: nobody else's launch can, and it asks for a tick
    assert peers.http.post(f"{peers.tool_base}/pool/launch/{learner}/publish/{award}").status_code == 303
    again = peers.http.get(f"{peers.tool_base}/pool/launch/{learner}").text
    assert f'action="/pool/launch/{learner}/delete-profile"' in again
    assert peers.http.post(f"{peers.tool_base}/pool/launch/{other_id}/delete-profile",
                           data={"confirm": "yes"}).status_code == 404  # learner-2 has no profile
    assert peers.http.post(f"{peers.tool_base}/pool/launch/{learner}/delete-profile").status_code == 400
    deleted = peers.http.post(f"{peers.tool_base}/pool/launch/{learner}/delete-profile", data={"confirm": "yes"})
    assert deleted.status_code == 303 and deleted.headers["location"].endswith("?m=deleted")
    assert "Your profile is deleted" in peers.http.get(f"{peers.tool_base}{deleted.headers['location']}").text
    assert peers.http.get(f"{peers.tool_base}/pool/people/{handle}").status_code == 404
    assert people(peers.http, peers.tool_base) == []
    mine = peers.http.get(f"{peers.tool_base}/pool/launch/{learner}", headers={"Accept": "application/json"}).json()
    assert mine["profile"] is None and [c["entry"] for c in mine["credentials"]] == [None]
