"""Registries from URLs: fetched on first use, refreshed on schedule, cached on disk, the last good copy used when
the registry's host is down or serves something broken."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from bridge.errors import LeadsError
from bridge.settings import RegistrySource
from bridge.trust.registry import parse_registry
from bridge.trust.sources import RETRY_SECONDS, RegistrySources
from tests.clock import Clock

A = "did:key:z6MkpLDL3RoAoMRTwTgo3rs39ZwssfaPKtGdZw7AGRN7CK4W"
B = "did:web:credentials.myschool.ca"


@dataclass
class Host:
    """A registry host on loopback: serves ``body`` with ``status``; counts requests."""

    url: str = ""
    status: int = 200
    body: bytes = b""
    hits: int = 0
    server: Any = field(default=None, repr=False)

    def serve(self, document: Any) -> None:
        self.body, self.status = json.dumps(document).encode(), 200


@pytest.fixture
def host() -> Iterator[Host]:
    state = Host()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            state.hits += 1
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/registry.json"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _fetch(url: str) -> bytes:
    response = httpx.get(url, timeout=5)
    if response.status_code != 200:
        raise LeadsError(f"{url} answered HTTP {response.status_code}", code="registry_retrieval", status=502)
    return response.content


def _doc(*dids: str) -> dict[str, Any]:
    return {"meta": {"updated": "2026-01-01T00:00:00+00:00"},
            "registry": {did: {"name": f"Issuer {i}", "location": "Somewhere"} for i, did in enumerate(dids)}}


def test_fetched_once_refreshed_on_schedule_and_kept_through_an_outage(host: Host, tmp_path: Path) -> None:
    clock = Clock(1_000_000.0)
    source = RegistrySource(name="DCC Sandbox Registry", url=host.url)
    sources = RegistrySources([source], tmp_path / "cache", refresh_seconds=3600, fetch=_fetch, now=clock)
    host.serve(_doc(A))
    entry = sources.lookup(A)
    assert entry is not None and (entry.name, entry.registry) == ("Issuer 0", "DCC Sandbox Registry")
    assert sources.lookup(B) is None and host.hits == 1  # fresh: no second fetch

    host.serve(_doc(A, B))
    clock.now += 3601
    assert sources.lookup(B) is not None and host.hits == 2  # stale: refreshed

    host.status, host.body = 503, b"down"
    clock.now += 3601
    assert sources.lookup(A) is not None and host.hits == 3  # the outage keeps the copy in use
    assert sources.states[0].error and "503" in sources.states[0].error
    clock.now += RETRY_SECONDS / 2
    sources.lookup(A)
    assert host.hits == 3  # and does not hammer the host: it waits before trying again

    # a restart while the host is still down: the last good copy from the disk cache, no fetch needed
    restarted = RegistrySources([source], tmp_path / "cache", refresh_seconds=10**9, fetch=_fetch, now=clock)
    assert restarted.lookup(B) is not None and restarted.states[0].from_cache and host.hits == 3


def test_a_broken_download_never_replaces_the_last_good_copy(host: Host, tmp_path: Path) -> None:
    clock = Clock(1_000_000.0)
    sources = RegistrySources([RegistrySource(name="R", url=host.url)], tmp_path / "cache", refresh_seconds=60,
                              fetch=_fetch, now=clock)
    host.serve(_doc(A))
    assert sources.lookup(A) is not None
    host.body = b'{"registry": {"did:key:z6Mk": {"location": "no name"}}}'
    states = sources.refresh()
    assert states[0].error is not None and "has no \"name\"" in states[0].error
    assert sources.lookup(A) is not None
    host.body = b"<html>not json</html>"
    assert "not JSON" in (sources.refresh()[0].error or "")
    assert sources.lookup(A) is not None


def test_the_order_of_registries_is_their_authority(tmp_path: Path) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    first.write_text(json.dumps({"registry": {A: {"name": "From the first"}}}))
    second.write_text(json.dumps({"registry": {A: {"name": "From the second"}, B: {"name": "Only second"}}}))
    sources = RegistrySources([RegistrySource(name="1", url=str(first)), RegistrySource(name="2", url=str(second))],
                              tmp_path / "cache", refresh_seconds=60, fetch=_fetch)
    assert sources.lookup(A).name == "From the first"  # type: ignore[union-attr]
    assert sources.lookup(B).registry == "2"  # type: ignore[union-attr]


def test_format_errors_say_what_and_where() -> None:
    with pytest.raises(LeadsError, match="expected a JSON object with a \"registry\" object"):
        parse_registry([{"did": A}], source="Mine")
    with pytest.raises(LeadsError, match="'nonsense' is not a DID"):
        parse_registry({"registry": {"nonsense": {"name": "x"}}}, source="Mine")
    parsed = parse_registry({"registry": {A: {"name": "  My   University ", "url": "javascript:alert(1)"}}},
                            source="Mine")
    assert parsed[A].name == "My University" and parsed[A].url is None  # only http(s) links are shown
    # a registry's names are a machine's: what the one name rule refuses is dropped, not the whole registry
    parsed = parse_registry({"registry": {A: {"name": "My\u202e Uni\u200bversity\x00"}}}, source="Mine")
    assert parsed[A].name == "My University"
    with pytest.raises(LeadsError, match="has no \"name\""):
        parse_registry({"registry": {A: {"name": "\u202e\x00"}}}, source="Mine")
