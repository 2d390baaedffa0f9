"""LEADS against lti1p3platform over HTTP: OIDC, launches, deep linking, AGS and NRPS, replay refused."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest

from bridge.db import keyset
from bridge.ltitool import pages as ltipages
from bridge.ltitool import services
from lti.errors import LtiError
from tests.bridge.ltitool.conftest import Peers
from tests.lti.platform import INSTRUCTOR, LEARNER, PendingLaunch, form_fields

CERT = "glam-archive-to-commons-certificate"
ASSESSMENTS = ["glam-as-rights-quiz", "glam-as-digitisation-portfolio", "glam-as-upload-project"]


def _launch_id(page: str) -> str:
    found = re.search(r"/lti/deep-link/(lti1p3-launch-[0-9a-f-]+)", page)
    assert found, page[:800]
    return found.group(1)


def test_resource_link_launch_gives_instructor_and_learner_pages(peers: Peers) -> None:
    r, _ = peers.launch(PendingLaunch("resource", "teacher-1", [INSTRUCTOR], custom={"leads_design": CERT}))
    assert r.status_code == 200, r.text
    assert "instructor view" in r.text and "Rights clearance quiz" in r.text
    assert r.headers["cache-control"] == "no-store" and r.headers["referrer-policy"] == "no-referrer"

    r, _ = peers.launch(PendingLaunch("resource", "learner-1", [LEARNER],
                                      custom={"leads_action": "claim", "leads_design": CERT}))
    assert r.status_code == 200, r.text
    assert "Claim your certificate" in r.text and "instructor view" not in r.text
    assert re.search(r'href="/awards/claim/lti1p3-launch-[0-9a-f-]+"', r.text)

    # an assessment activity of the design links to the claim page too (a learner may claim from any of them)
    r, _ = peers.launch(PendingLaunch("resource", "learner-3", [LEARNER],
                                      custom={"leads_design": CERT, "leads_assessment": ASSESSMENTS[0]}))
    assert r.status_code == 200, r.text
    assert re.search(r'href="/awards/claim/lti1p3-launch-[0-9a-f-]+"', r.text)
    assert re.search(r'href="/awards/mine/lti1p3-launch-[0-9a-f-]+"', r.text)
    assert "Rights clearance quiz" in r.text and ASSESSMENTS[0] not in r.text  # the label, never the key


def test_the_language_switch_of_a_launch_page_keeps_the_launch(peers: Peers) -> None:
    """The start page answers the platform's POST; its switch must not link to GET /lti/launch (405)."""
    r, _ = peers.launch(PendingLaunch("resource", "learner-1", [LEARNER],
                                      custom={"leads_action": "claim", "leads_design": CERT}))
    switch = re.search(r'<a href="(/lti/app/(lti1p3-launch-[0-9a-f-]+)\?lang=es)" lang="es"', r.text)
    assert switch and "/lti/launch?lang" not in r.text, r.text[:1500]
    spanish = peers.http.get(f"{peers.tool_base}{html.unescape(switch.group(1))}")
    assert spanish.status_code == 200 and '<html lang="es">' in spanish.text
    assert "Solicitar su certificado" in spanish.text and f"/awards/claim/{switch.group(2)}?lang=es" in spanish.text
    assert peers.http.get(f"{peers.tool_base}/lti/app/lti1p3-launch-nope").status_code in (404, 410)

    r, _ = peers.launch(PendingLaunch("resource", "learner-2", [LEARNER]), accept="application/json")
    assert r.json()["page"] == "lti/learner.html" and r.json()["context"] == "GLAM uploads 101"


def test_replayed_launch_is_refused(peers: Peers) -> None:
    first, posted = peers.launch(PendingLaunch("resource", "learner-1", [LEARNER]))
    assert first.status_code == 200, first.text
    action = f"{peers.tool_base}/lti/launch"
    replay = peers.post_launch(action, posted, accept="application/json")
    print(f"first launch: HTTP {first.status_code}; replay of the same id_token: HTTP {replay.status_code} "
          f"{replay.json()}")
    assert replay.status_code == 401
    assert replay.json()["error"] == "replayed_nonce"
    html = peers.post_launch(action, posted)
    assert html.status_code == 401 and "text/html" in html.headers["content-type"]
    assert "already used" in html.text


def test_deep_linking_response_is_accepted_by_the_platform(peers: Peers) -> None:
    r, _ = peers.launch(PendingLaunch("deeplink", "teacher-1", [INSTRUCTOR]))
    assert r.status_code == 200, r.text
    launch_id = _launch_id(r.text)
    assert "Certificate: Digitising a small archive" in r.text
    search = peers.http.get(f"{peers.tool_base}/lti/deep-link/{launch_id}", params={"q": "rights"})
    assert "Rights and licensing" in search.text and "Digitisation and metadata" not in search.text

    chosen = peers.http.post(f"{peers.tool_base}/lti/deep-link/{launch_id}", data={"design": CERT})
    assert chosen.status_code == 200, chosen.text
    action, fields = form_fields(chosen.text)
    assert action == f"{peers.platform.base}/deep_link_return"
    answer = peers.http.post(action, data=fields)  # the browser posts the tool's JWT to the platform
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    graded = [i for i in items if "lineItem" in i]
    assert [i["lineItem"]["resourceId"] for i in graded] == ASSESSMENTS
    assert all(i["type"] == "ltiResourceLink" and i["lineItem"]["scoreMaximum"] == 100 for i in graded)
    assert {i["lineItem"]["tag"] for i in graded} == {"glam-mc-rights", "glam-mc-digitisation",
                                                       "glam-mc-commons-upload"}
    assert graded[0]["lineItem"]["label"] == "Rights clearance quiz"
    assert graded[0]["custom"] == {"leads_assessment": "glam-as-rights-quiz", "leads_design": "glam-mc-rights"}
    claim = [i for i in items if "lineItem" not in i]
    assert len(claim) == 1 and claim[0]["title"].startswith("Claim your certificate")
    assert len(peers.platform.line_items) == 3  # the platform made a grade column per assessment


def test_learner_cannot_deep_link(peers: Peers) -> None:
    r, _ = peers.launch(PendingLaunch("deeplink", "learner-1", [LEARNER]), accept="application/json")
    assert r.status_code == 403 and r.json()["error"] == "instructor_only"


def test_ags_scores_results_line_items_and_nrps_roster(peers: Peers) -> None:
    r, _ = peers.launch(PendingLaunch("resource", "teacher-1", [INSTRUCTOR]), accept="application/json")
    launch_id = r.json()["launch_id"]
    ags = services.ags(peers.tool, launch_id)
    created = ags.create_line_item({"scoreMaximum": 100, "label": "Rights clearance quiz",
                                    "resourceId": "glam-as-rights-quiz", "tag": "glam-mc-rights"})
    assert created["id"].startswith(peers.platform.base)
    assert ags.get_line_item(created["id"])["label"] == "Rights clearance quiz"
    assert [i["id"] for i in ags.line_items(resource_id="glam-as-rights-quiz")] == [created["id"]]
    assert ags.find_or_create({"scoreMaximum": 100, "label": "x", "resourceId": "glam-as-rights-quiz"}) == created
    now = datetime.now(UTC).isoformat()
    for user, given in (("learner-1", 55.0), ("learner-1", 87.5), ("learner-2", 40.0)):
        ags.post_score(created["id"], {"userId": user, "scoreGiven": given, "scoreMaximum": 100,
                                       "activityProgress": "Completed", "gradingProgress": "FullyGraded",
                                       "timestamp": now})
    results = {res["userId"]: res["resultScore"] for res in ags.results(created["id"])}
    assert results == {"learner-1": 87.5, "learner-2": 40.0}
    assert [res["resultScore"] for res in ags.results(created["id"], user_id="learner-2")] == [40.0]
    assert peers.platform.token_requests == 1  # one client-credentials grant, cached for every call after

    roster = peers.http.get(f"{peers.tool_base}/lti/app/{launch_id}/roster", headers={"Accept": "application/json"})
    assert roster.status_code == 200, roster.text
    assert [m["user_id"] for m in roster.json()["members"]] == ["u0", "u1", "u2", "u3", "u4"]  # 3 pages of 2



def test_the_roster_page_reads_one_platform_page_at_a_time(peers: Peers, monkeypatch: pytest.MonkeyPatch) -> None:
    """A MOOC's roster is never read whole for a page: NRPS ``limit``, the platform's next page followed only on
    its memberships URL, whatever the browser sends back."""
    monkeypatch.setattr(ltipages, "ROSTER_PAGE", 2)
    r, _ = peers.launch(PendingLaunch("resource", "teacher-1", [INSTRUCTOR]), accept="application/json")
    url = f"{peers.tool_base}/lti/app/{r.json()['launch_id']}/roster"
    pages, following = [], url
    while following:
        body = peers.http.get(following, headers={"Accept": "application/json"}).json()
        pages.append([m["user_id"] for m in body["members"]])
        following = body["next"] and f"{peers.tool_base}{body['next']}"
    assert pages == [["u0", "u1"], ["u2", "u3"], ["u4"]]

    first = peers.http.get(url, params={"lang": "es"}).text
    assert "2 personas en esta página" in first and "Página siguiente" in first and "Primera página" not in first
    nxt = re.search(r'<a href="([^"]+)" rel="next">', first)
    assert nxt is not None
    second = peers.http.get(f"{peers.tool_base}{html.unescape(nxt.group(1))}").text
    assert "Primera página" in second and "User 2" in second and "User 0" not in second

    # a query of the browser's choosing still goes to the platform's memberships URL, with its own token
    forged = peers.http.get(url, params={"after": keyset.write("limit=1&page=5")},
                            headers={"Accept": "application/json"})
    assert forged.status_code == 200 and [m["user_id"] for m in forged.json()["members"]] == ["u4"]
    assert forged.json()["next"] is None
    bad = peers.http.get(url, params={"after": "not+a+position"}, headers={"Accept": "application/json"})
    assert (bad.status_code, bad.json()["error"]) == (422, "invalid_cursor")

    # a platform whose next link leaves its memberships URL is not followed there
    monkeypatch.setattr(peers.platform, "nrps_next_base", "http://127.0.0.1:9")
    elsewhere = peers.http.get(url, headers={"Accept": "application/json"})
    assert elsewhere.status_code == 502, elsewhere.text
    assert "not at its memberships URL" in elsewhere.json()["message"]


def test_a_moocs_results_are_read_in_few_pages_and_a_looping_platform_is_stopped(peers: Peers) -> None:
    """A platform pages AGS results (Canvas: 10 unless asked, at most 100): LEADS asks for ``limit``, so 250
    learners take 3 requests, not 25 (100,000 took 10,000 pages, past the bound of pages LEADS follows); a platform
    whose next link leads back to a page already read is a named 502, not a thousand requests."""
    r, _ = peers.launch(PendingLaunch("resource", "teacher-1", [INSTRUCTOR]), accept="application/json")
    ags = services.ags(peers.tool, r.json()["launch_id"])
    item = ags.create_line_item({"scoreMaximum": 100, "label": "Quiz", "resourceId": "glam-as-rights-quiz"})
    item_id = item["id"].rsplit("/", 1)[1]
    peers.platform.scores[item_id] = [{"userId": f"learner-{i}", "scoreGiven": i % 100, "scoreMaximum": 100}
                                      for i in range(250)]
    results = list(ags.results(item["id"]))
    assert sorted(res["userId"] for res in results) == sorted(f"learner-{i}" for i in range(250))
    asked = peers.platform.results_requests
    assert len(asked) == 3 and all("limit=" in url for url in asked), asked
    assert [res["userId"] for res in ags.results(item["id"], user_id="learner-7")] == ["learner-7"]

    peers.platform.results_next = asked[0]
    with pytest.raises(LtiError) as looping:
        list(ags.results(item["id"]))
    assert looping.value.status == 502 and "links back to a page already read" in looping.value.message
