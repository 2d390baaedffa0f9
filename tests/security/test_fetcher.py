"""The guarded fetcher on its own: which addresses it refuses (without connecting), redirects, the whole-fetch
deadline, the size cap, the cache, the User-Agent."""

from __future__ import annotations

import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpcore
import pytest

from issuer.fetch import FetchFailed, FetchPolicy, SafeFetcher, is_public
from issuer.fetch.transport import GuardedBackend, GuardedTransport
from tests.security.helpers import drip, listener, redirect, send_json, upstream

UA = "LEADS/test (security suite)"


def fetcher(*trusted: str, **policy: Any) -> SafeFetcher:
    return SafeFetcher(FetchPolicy(user_agent=UA, trusted=trusted, **policy))


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.255.255.254", "10.0.0.7", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1", "192.0.2.1", "198.18.0.1",
    "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
    "::ffff:169.254.169.254", "64:ff9b::a00:1", "64:ff9b::7f00:1", "2002:7f00:1::", "2002:a00:1::",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:db8::1", "not-an-ip",
])
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8",
                                     "64:ff9b::808:808", "2002:808:808::"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public(address)


@pytest.mark.parametrize("host_form", [
    "127.0.0.1", "localhost", "[::ffff:127.0.0.1]", "2130706433", "0x7f000001", "127.1", "0177.0.0.1",
])
def test_loopback_in_every_spelling_is_refused_without_connecting(host_form: str) -> None:
    with listener() as sock:
        f = fetcher()
        with pytest.raises(FetchFailed) as refused:
            f.get_json(f"http://{host_form}:{sock.port}/status/1")
        f.close()
        assert refused.value.message == "could not be fetched"  # no port, no reason, no address
        assert sock.connections() == 0


class Recording(httpcore.SyncBackend):
    def __init__(self) -> None:
        self.connected: list[tuple[str, int]] = []

    def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        self.connected.append((host, port))
        raise httpcore.ConnectError("the test backend never connects")


@pytest.mark.parametrize("resolved", [["10.0.0.7"], ["169.254.169.254"], ["fd00::5"], ["93.184.215.14", "10.1.1.1"],
                                      ["::ffff:192.168.0.1"]])
def test_names_resolving_to_private_addresses_are_refused_before_any_connection(resolved: list[str]) -> None:
    """Checked after resolution: a public name pointing inside (or a mix, as in DNS rebinding) is refused."""
    recording = Recording()
    backend = GuardedBackend(resolver=lambda host, port: resolved, inner=recording)
    with pytest.raises(httpcore.ConnectError, match="not a public address"):
        backend.connect_tcp("status.example.org", 443)
    assert recording.connected == []


def test_the_checked_address_is_the_one_connected_to() -> None:
    recording = Recording()
    backend = GuardedBackend(resolver=lambda host, port: ["93.184.215.14"], inner=recording)
    with pytest.raises(httpcore.ConnectError):
        backend.connect_tcp("status.example.org", 443)
    assert recording.connected == [("93.184.215.14", 443)]  # the address, not the name (no second lookup)


def test_a_trusted_origin_is_reached_and_gets_the_leads_user_agent() -> None:
    with upstream(lambda h: send_json(h, {"id": "x"})) as up:
        f = fetcher(up.origin)
        assert f.get_json(f"{up.origin}/status/1") == {"id": "x"}
        f.close()
    assert up.requests[0]["user-agent"] == UA


def test_redirect_to_a_private_address_is_refused() -> None:
    with listener() as sock, upstream(lambda h: redirect(h, f"http://127.0.0.1:{sock.port}/x")) as up:
        f = fetcher(up.origin)
        with pytest.raises(FetchFailed):
            f.get_json(f"{up.origin}/start")
        f.close()
        assert len(up.requests) == 1 and sock.connections() == 0


def test_at_most_three_redirects() -> None:
    def respond(h: BaseHTTPRequestHandler) -> None:
        n = int(h.path.strip("/") or 0)
        if n >= 10:
            send_json(h, {"hops": n})
        else:
            redirect(h, f"/{n + 1}")

    with upstream(respond) as up:
        f = fetcher(up.origin)
        with pytest.raises(FetchFailed) as refused:
            f.get_json(f"{up.origin}/0")
        assert "more than 3 redirects" in refused.value.reason
        assert len(up.requests) == 4
        assert f.get_json(f"{up.origin}/7") == {"hops": 10}  # three hops are fine
        f.close()


def test_did_web_is_https_only_except_for_trusted_origins() -> None:
    with listener() as sock:
        f = SafeFetcher(FetchPolicy(user_agent=UA), resolver=lambda host, port: ["93.184.215.14"])
        with pytest.raises(FetchFailed, match="could not be fetched") as refused:
            f.get_json(f"http://issuer.example.org:{sock.port}/.well-known/did.json", https_only=True)
        assert "only https" in refused.value.reason
        f.close()
    with upstream(lambda h: send_json(h, {"id": "did:web:x"})) as up:
        f = fetcher(up.origin)
        assert f.get_json(f"{up.origin}/.well-known/did.json", https_only=True)["id"] == "did:web:x"
        f.close()


def test_a_one_byte_every_5s_upstream_is_cut_at_the_whole_fetch_deadline() -> None:
    stop = threading.Event()
    with upstream(drip(5.0, stop)) as up:
        f = fetcher(up.origin, timeout=6.0)  # each read gets a byte within 5 s: only a whole-fetch deadline ends it
        started = time.monotonic()
        with pytest.raises(FetchFailed):
            f.get_json(f"{up.origin}/slow")
        elapsed = time.monotonic() - started
        stop.set()
        f.close()
    assert 5.5 < elapsed < 7.5, elapsed


def test_a_verification_budget_bounds_all_its_fetches() -> None:
    stop = threading.Event()
    with upstream(drip(0.5, stop)) as up:
        f = fetcher(up.origin, timeout=30.0)
        started = time.monotonic()
        with f.budget(2.0), pytest.raises(FetchFailed):
            f.get_json(f"{up.origin}/slow")
        stop.set()
        f.close()
    assert time.monotonic() - started < 3.5


def test_size_cap_also_applies_to_what_gzip_inflates_to() -> None:
    bomb = gzip.compress(b" " * (50 * 1024 * 1024))

    def respond(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(bomb)))
        h.end_headers()
        h.wfile.write(bomb)

    with upstream(respond) as up:
        f = fetcher(up.origin, max_bytes=64 * 1024)
        with pytest.raises(FetchFailed) as refused:
            f.get_json(f"{up.origin}/bomb")
        assert "cap" in refused.value.reason
        f.close()


def test_cache_honours_max_age_and_revalidates_with_etag() -> None:
    def respond(h: BaseHTTPRequestHandler) -> None:
        if h.path == "/fresh":
            send_json(h, {"v": 1}, headers={"Cache-Control": "public, max-age=60"})
        elif h.headers.get("If-None-Match") == '"v1"':
            h.send_response(304)
            h.send_header("ETag", '"v1"')
            h.send_header("Content-Length", "0")
            h.end_headers()
        elif h.path == "/etag":
            send_json(h, {"v": 2}, headers={"ETag": '"v1"', "Cache-Control": "no-cache"})
        else:
            send_json(h, {"v": 3}, headers={"Cache-Control": "no-store"})

    with upstream(respond) as up:
        f = fetcher(up.origin)
        assert f.get_json(f"{up.origin}/fresh") == f.get_json(f"{up.origin}/fresh") == {"v": 1}
        assert [r["path"] for r in up.requests] == ["/fresh"]  # the second came from the cache
        assert f.get_json(f"{up.origin}/etag") == f.get_json(f"{up.origin}/etag") == {"v": 2}
        assert up.requests[-1].get("if-none-match") == '"v1"'  # revalidated, answered 304
        f.get_json(f"{up.origin}/nostore")
        f.get_json(f"{up.origin}/nostore")
        assert [r["path"] for r in up.requests].count("/nostore") == 2
        f.close()


def test_the_caller_is_told_before_each_fetch_from_the_network_not_for_the_cache() -> None:
    told: list[str] = []
    with upstream(lambda h: send_json(h, {"p": h.path}, headers={"Cache-Control": "max-age=60"})) as up:
        f = SafeFetcher(FetchPolicy(user_agent=UA, trusted=(up.origin,)),
                        on_network=lambda: told.append(threading.current_thread().name))
        f.get_json(f"{up.origin}/a")
        f.get_json(f"{up.origin}/a")  # from the cache
        f.get_json(f"{up.origin}/b")
        f.close()
    assert told == [threading.current_thread().name] * 2  # in the fetching thread, once per network fetch


def test_cache_is_bounded() -> None:
    with upstream(lambda h: send_json(h, {"p": h.path}, headers={"Cache-Control": "max-age=60"})) as up:
        f = fetcher(up.origin, cache_entries=3)
        for n in range(10):
            f.get_json(f"{up.origin}/{n}")
        assert len(f._cache) == 3
        f.close()


def test_environment_proxies_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy would connect on our behalf to whatever it is told, past every check."""
    with listener() as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
        transport = GuardedTransport(resolver=lambda host, port: ["10.9.9.9"])
        f = SafeFetcher(FetchPolicy(user_agent=UA), transport=transport)
        with pytest.raises(FetchFailed):
            f.get_json("http://status.example.org/list")
        f.close()
        assert proxy.connections() == 0
