"""Deep linking into a platform that takes one item (``accept_multiple: false``, as Canvas's assignment selection):
the instructor chooses the one item on the picker; several are never cut to the first silently."""

from __future__ import annotations

import re

import pytest

from lti import deep_linking
from lti import validation as v
from lti.config import PlatformRegistration
from lti.deep_linking import ContentItem
from lti.errors import LtiError
from lti.keys import KeyRing, new_key
from tests.bridge.ltitool.claims import DESIGN, QUIZ
from tests.bridge.ltitool.conftest import Peers
from tests.lti.platform import INSTRUCTOR, PendingLaunch, form_fields


def _picker(peers: Peers) -> tuple[str, str]:
    r, _ = peers.launch(PendingLaunch("deeplink", "teacher-1", [INSTRUCTOR], accept_multiple=False))
    assert r.status_code == 200, r.text
    return r.text, r.text.split("/lti/deep-link/", 1)[1].split('"', 1)[0].split("?", 1)[0]


def test_the_picker_offers_one_item_at_a_time_and_sends_only_the_chosen_one(peers: Peers) -> None:
    page, launch_id = _picker(peers)
    assert "This course page takes one LEADS item at a time" in page
    assert "Place the “claim your certificate” link here" in page
    assert f'name="item" value="{QUIZ}"' in page and not re.search(r"Add “[^”]+” to the course", page)
    url = f"{peers.tool_base}/lti/deep-link/{launch_id}"

    whole = peers.http.post(url, data={"design": DESIGN}, headers={"Accept": "application/json"})
    assert (whole.status_code, whole.json()["error"]) == (422, "single_item_only")  # refused, not cut to one
    unknown = peers.http.post(url, data={"design": DESIGN, "item": "nope"}, headers={"Accept": "application/json"})
    assert (unknown.status_code, unknown.json()["error"]) == (422, "item_not_found")

    action, fields = form_fields(peers.http.post(url, data={"design": DESIGN, "item": "claim"}).text)
    assert peers.http.post(action, data=fields).json()["accepted"] is True
    (claim,) = peers.platform.deep_link_items[-1]
    assert claim["custom"] == {"leads_action": "claim", "leads_design": DESIGN} and "lineItem" not in claim

    _, launch_id = _picker(peers)  # the quiz, as another activity of its own
    action, fields = form_fields(peers.http.post(f"{peers.tool_base}/lti/deep-link/{launch_id}",
                                                 data={"design": DESIGN, "item": QUIZ}).text)
    assert peers.http.post(action, data=fields).json()["accepted"] is True
    (quiz,) = peers.platform.deep_link_items[-1]
    assert quiz["custom"]["leads_assessment"] == QUIZ and quiz["lineItem"]["resourceId"] == QUIZ


def test_a_platform_taking_several_items_still_gets_the_whole_design(peers: Peers) -> None:
    r, _ = peers.launch(PendingLaunch("deeplink", "teacher-1", [INSTRUCTOR]))
    assert "This course page takes one LEADS item at a time" not in r.text
    launch_id = r.text.split("/lti/deep-link/", 1)[1].split('"', 1)[0].split("?", 1)[0]
    action, fields = form_fields(peers.http.post(f"{peers.tool_base}/lti/deep-link/{launch_id}",
                                                 data={"design": DESIGN}).text)
    assert peers.http.post(action, data=fields).json()["accepted"] is True
    items = peers.platform.deep_link_items[-1]
    assert len(items) > 1 and items[-1]["custom"]["leads_action"] == "claim"


@pytest.mark.parametrize("multiple", [False, "false"])
def test_the_response_refuses_several_items_for_a_platform_that_takes_one(multiple: object) -> None:
    claims = {v.MESSAGE_TYPE: v.DEEP_LINKING_REQUEST, v.DEPLOYMENT_ID: "d",
              v.DEEP_LINKING_SETTINGS: {"deep_link_return_url": "https://lms.example/return",
                                        "accept_types": ["ltiResourceLink"], "accept_multiple": multiple}}
    platform = PlatformRegistration("https://lms.example", "c", "https://lms.example/auth",
                                    "https://lms.example/token", "https://lms.example/jwks", ("d",))
    items = [ContentItem("ltiResourceLink", title, "https://tool.example/lti/launch") for title in ("A", "B")]
    keys = KeyRing((new_key(),))
    with pytest.raises(LtiError) as refused:
        deep_linking.response(claims, platform, keys, items)
    assert refused.value.code == "single_item_only" and refused.value.params == {"count": 2}
    url, token = deep_linking.response(claims, platform, keys, items[1:])
    assert url == "https://lms.example/return" and token


def test_a_deep_linking_request_is_answered_once(peers: Peers) -> None:
    """Before, each post of the picker signed another answer: a double click or the back button added the same
    activities to the course twice."""
    r, _ = peers.launch(PendingLaunch("deeplink", "teacher-1", [INSTRUCTOR]))
    launch_id = r.text.split("/lti/deep-link/", 1)[1].split('"', 1)[0].split("?", 1)[0]
    url = f"{peers.tool_base}/lti/deep-link/{launch_id}"
    refused = peers.http.post(url, data={"design": "nope"}, headers={"Accept": "application/json"})
    assert refused.status_code == 404  # a choice refused answers nothing: the instructor chooses again
    action, fields = form_fields(peers.http.post(url, data={"design": DESIGN}).text)
    again = peers.http.post(url, data={"design": DESIGN}, headers={"Accept": "application/json"})
    assert (again.status_code, again.json()["error"]) == (409, "deep_link_answered")
    for lang, words in (("en", "was already answered"), ("es", "ya se respondió")):
        page = peers.http.post(f"{url}?lang={lang}", data={"design": DESIGN})
        assert page.status_code == 409 and words in page.text and "deep_link_answered" not in page.text
    assert peers.http.post(action, data=fields).json()["accepted"] is True
    assert len(peers.platform.deep_link_items) == 1
