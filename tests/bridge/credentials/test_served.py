"""The bytes the public read routes keep (bridge/credentials/served.py): bounded, validated by ETag, and a
revocation made by another process shows once the status list's short keep time has passed."""

from __future__ import annotations

from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from bridge.credentials.api import STATUS_LIST_SECONDS, CredentialService
from bridge.credentials.served import BoundedBytes, Served, json_bytes
from tests.bridge.credentials.conftest import ADMIN, issue


def _served(n: int) -> Served:
    return Served.of(b"x" * n, "application/json")


def test_kept_json_is_starlettes_rendering_byte_for_byte() -> None:
    document = {"name": "Ada Lovelace — «ñ»", "n": [1, 2.5, None, True], "nested": {"ü": "😀"}}
    assert json_bytes(document) == bytes(JSONResponse(document).body)


def test_bounded_in_entries_and_bytes_least_recently_used_first() -> None:
    cache = BoundedBytes(max_entries=2, max_bytes=100)
    for key in ("a", "b"):
        cache.put(key, _served(10), cache.ticket())
    assert cache.get("a") is not None  # "b" is now the least recently used
    cache.put("c", _served(10), cache.ticket())
    assert cache.get("b") is None and cache.get("a") is not None and len(cache) == 2
    cache.put("d", _served(25), cache.ticket())
    cache.put("e", _served(25), cache.ticket())
    cache.put("f", _served(25), cache.ticket())
    assert len(cache) == 2
    cache = BoundedBytes(max_entries=10, max_bytes=100)
    for key in "abcde":
        cache.put(key, _served(25), cache.ticket())
    assert len(cache) == 4 and cache.get("a") is None  # 125 bytes > 100: the oldest went
    cache.put("huge", _served(60), cache.ticket())  # more than a quarter of the bytes: never kept
    assert cache.get("huge") is None


def test_expiry_and_a_read_older_than_a_drop_is_not_kept() -> None:
    now = [0.0]
    cache = BoundedBytes(max_entries=10, max_bytes=1000, ttl=5.0, clock=lambda: now[0])
    cache.put("list", _served(1), cache.ticket())
    now[0] = 4.9
    assert cache.get("list") is not None
    now[0] = 5.1
    assert cache.get("list") is None
    ticket = cache.ticket()  # a reader starts reading the database …
    cache.drop("list")  # … a revocation commits and drops the entry …
    cache.put("list", _served(1), ticket)  # … the reader's (possibly stale) answer is not kept
    assert cache.get("list") is None


def test_credential_served_with_a_strong_etag_and_the_same_bytes_as_the_download(client: TestClient) -> None:
    issued = issue(client)
    url = f"/credentials/{issued['id']}"
    first = client.get(url)
    assert first.status_code == 200 and first.headers["content-type"].startswith("application/ld+json")
    assert first.headers["vary"] == "Accept" and first.headers["cache-control"].startswith("public, max-age=")
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith('W/')
    assert client.get(url).content == first.content == client.get(f"{url}/download").content
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag and not again.content
    assert client.get(url, headers={"Accept": "text/html"}).headers["content-type"].startswith("text/html")
    jwt = issue(client, fmt="jwt")
    assert client.get(f"/credentials/{jwt['id']}").headers["content-type"].startswith("application/vc+jwt")
    for _ in range(2):  # an unknown id is not kept: it stays 404 (and would show once issued)
        assert client.get("/credentials/00000000-0000-0000-0000-000000000000").status_code == 404


def test_a_revocation_by_another_process_shows_within_the_keep_time(client: TestClient) -> None:
    issued = issue(client)
    url = issued["credential"]["credentialStatus"][0]["statusListCredential"]  # type: ignore[index]
    path = str(url).removeprefix("http://testserver")
    served: CredentialService = client.app.state.credentials  # type: ignore[attr-defined]
    now = [1000.0]
    served.lists.clock = lambda: now[0]
    client.get(path)  # signs the new list (a read that signs is not kept: its own change drops it) …
    etag = client.get(path).headers["etag"]  # … this one is kept
    other = CredentialService(served.db, served.settings)  # another web process on the same database
    other.revoke(str(issued["id"]), "revoked elsewhere")
    assert client.get(path).headers["etag"] == etag  # still the kept copy …
    now[0] += STATUS_LIST_SECONDS + 0.1
    assert client.get(path).headers["etag"] != etag  # … until it is older than the keep time
    suspension = str(issued["credential"]["credentialStatus"][1]["statusListCredential"])  # type: ignore[index]
    suspension = suspension.removeprefix("http://testserver")
    before = client.get(suspension).headers["etag"]
    client.post(f"/api/credentials/{issued['id']}/unsuspend", json={"reason": "here"}, headers=ADMIN)
    fresh = issue(client)
    client.post(f"/api/credentials/{fresh['id']}/suspend", json={"reason": "here"}, headers=ADMIN)
    assert client.get(suspension).headers["etag"] != before  # this process changed it: shown at once


def test_an_expired_list_is_read_afresh_by_one_caller_while_the_others_get_the_expired_copy() -> None:
    now = [0.0]
    cache = BoundedBytes(max_entries=10, max_bytes=1000, ttl=5.0, clock=lambda: now[0])
    assert cache.lookup("list") == (None, True)  # not kept: read it
    old = _served(1)
    cache.put("list", old, cache.ticket())
    assert cache.lookup("list") == (old, False)
    now[0] = 6.0
    assert cache.lookup("list") == (None, True)  # expired: this caller reads afresh …
    assert cache.lookup("list") == (old, False)  # … the others meanwhile get the expired copy
    new = _served(2)
    cache.put("list", new, cache.ticket())
    assert cache.lookup("list") == (new, False)
    now[0] = 12.0
    assert cache.lookup("list") == (None, True)
    now[0] = 17.5  # the reader never came back (an error): after one more keep time another caller tries
    assert cache.lookup("list") == (None, True)
    cache.drop("list")  # a change in this process: nobody gets the old copy any more
    assert cache.lookup("list") == (None, True)
