"""Cookie-less recovery (decision 018): the frame's key is issued once per state, and the top-level window, the
Storage Access bind and the relay each need it. Someone else who learnt the state (it is in the frame's URL) gets
no key of their own, so cannot start the window login nor collect the launch."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from bridge.db import Database
from bridge.ltitool.store import SqlLaunchDataStore
from tests.bridge.ltitool.conftest import Peers
from tests.lti.platform import INSTRUCTOR, PendingLaunch, form_fields


def _data(page: str) -> dict[str, str]:
    return dict(json.loads(page.split('type="application/json">', 1)[1].split("</script>", 1)[0]))


def test_the_recovery_key_is_issued_once_and_the_window_needs_it(peers: Peers) -> None:
    t = peers.tool_base
    accept = {"Accept": "application/json"}
    login, _ = peers.start(PendingLaunch("resource", "teacher-1", [INSTRUCTOR]))
    state = parse_qs(urlsplit(login.headers["location"]).query)["state"][0]
    frame = peers.http.get(login.headers["location"])  # the frame: its cookie did not come back
    assert frame.status_code == 200 and "/static/lti/recover.js" in frame.text
    key = _data(frame.text)["key"]

    thief = peers.http.get(f"{t}/lti/login/check", params={"state": state}, headers=accept)
    assert (thief.status_code, thief.json()["error"]) == (403, "state_mismatch")  # no second key for the state
    for wrong, status in (({"state": state}, 422), ({"state": state, "key": "guess"}, 403)):
        window = peers.http.get(f"{t}/lti/login/window", params=wrong, headers=accept)
        assert window.status_code == status, window.text  # no login in a window of someone else's
    bind = peers.http.post(f"{t}/lti/login/bind", data={"state": state, "key": "guess"}, headers=accept)
    assert (bind.status_code, bind.json()["error"]) == (403, "state_mismatch")

    # the frame's own window, with its key, finishes the launch; only that key collects it
    window = peers.http.get(_data(frame.text)["window"])
    assert window.status_code == 302, window.text
    cookie = "; ".join(c.split(";", 1)[0] for c in window.headers.get_list("set-cookie"))
    check = peers.http.get(window.headers["location"], headers={"Cookie": cookie})
    action, fields = form_fields(peers.http.get(check.headers["location"]).text)
    relay_page = peers.http.post(action, data=fields, headers={"Cookie": cookie})
    assert relay_page.status_code == 200 and "/static/lti/relay.js" in relay_page.text
    stolen = peers.http.post(f"{t}/lti/login/relay", data={"state": state, "key": "guess"}, headers=accept)
    assert (stolen.status_code, stolen.json()["error"]) == (403, "state_mismatch")
    taken = peers.http.post(f"{t}/lti/login/relay", data={"state": state, "key": key})
    assert taken.json()["url"].startswith(f"{t}/lti/resume/lti1p3-launch-")


def test_put_new_stores_a_key_once_until_it_expires(db: Database) -> None:
    now = [1000.0]
    store = SqlLaunchDataStore(db, clock=lambda: now[0])
    assert store.put_new("k", "first", 10) is True
    assert store.put_new("k", "second", 10) is False and store.get("k") == "first"
    now[0] += 11  # expired: a new value may take its place
    assert store.put_new("k", "third", 10) is True and store.get("k") == "third"
