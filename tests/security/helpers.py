"""What the hostile-input tests share: a listener that proves no connection was made, upstreams that misbehave on
purpose (redirects, 200 MB, one byte every 5 s), and a foreign did:key issuer whose credentials verify, so that the
server really gets as far as fetching their status lists."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from issuer.did.key import did_key, did_key_verification_method
from issuer.keys.signer import Ed25519Signer
from issuer.proofs.dataintegrity import sign
from issuer.status.allocation import InMemoryStatusStore, StatusPurpose
from issuer.status.credential import status_list_credential
from tests.issuer.samples import ob3_credential

CREATED = datetime(2026, 1, 1, tzinfo=UTC)


class Listener:
    """A bound, listening loopback socket nobody should ever connect to: ``connections()`` counts who did."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.setblocking(False)
        self.port: int = self.sock.getsockname()[1]

    def connections(self) -> int:
        count = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1

    def close(self) -> None:
        self.sock.close()


@contextmanager
def listener() -> Iterator[Listener]:
    sock = Listener()
    try:
        yield sock
    finally:
        sock.close()


def deep_json(depth: int = 3000) -> bytes:
    return b"[" * depth + b"]" * depth


@dataclass
class Upstream:
    """A loopback HTTP server whose answer to every GET is ``respond(handler)``; it records what it was asked."""

    respond: Callable[[BaseHTTPRequestHandler], None]
    requests: list[dict[str, str]] = field(default_factory=list)
    sent: int = 0
    port: int = 0
    server: ThreadingHTTPServer | None = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def upstream(respond: Callable[[BaseHTTPRequestHandler], None]) -> Iterator[Upstream]:
    up = Upstream(respond)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            up.requests.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
            with suppress(BrokenPipeError, ConnectionResetError):
                respond(self)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    up.server, up.port = server, server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield up
    finally:
        server.shutdown()
        server.server_close()


def send_json(handler: BaseHTTPRequestHandler, body: Any, *, status: int = 200,
              headers: dict[str, str] | None = None) -> None:
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)


def redirect(handler: BaseHTTPRequestHandler, location: str) -> None:
    handler.send_response(302)
    handler.send_header("Location", location)
    handler.send_header("Content-Length", "0")
    handler.end_headers()


def huge(total: int, counter: Upstream, *, declared: bool = True) -> Callable[[BaseHTTPRequestHandler], None]:
    """A 'status list' of ``total`` bytes, streamed (never held in memory here); ``counter.sent`` counts bytes.
    Undeclared, the body has no Content-Length and ends when the connection closes: only reading can stop it."""

    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        if declared:
            handler.send_header("Content-Length", str(total))
        else:
            handler.send_header("Connection", "close")
            handler.close_connection = True
        handler.end_headers()
        chunk = b" " * 65536
        left = total
        while left > 0:
            piece = chunk[: min(left, len(chunk))]
            handler.wfile.write(piece)
            counter.sent += len(piece)
            left -= len(piece)

    return respond


def drip(every: float = 5.0, stop: threading.Event | None = None) -> Callable[[BaseHTTPRequestHandler], None]:
    """Headers at once, then one byte of body every ``every`` seconds, forever (or until ``stop``)."""

    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        handler.wfile.flush()
        while stop is None or not stop.is_set():
            handler.wfile.write(b" ")
            handler.wfile.flush()
            if stop is not None:
                stop.wait(every)
            else:
                time.sleep(every)

    return respond


class ForeignIssuer:
    """A did:key issuer (resolved locally, no fetch), so its credentials pass the proof and reach the status fetch."""

    def __init__(self) -> None:
        self.signer = Ed25519Signer.generate()
        self.did = did_key(self.signer.public_key_multibase)
        self.vm = did_key_verification_method(self.signer.public_key_multibase)
        self.store = InMemoryStatusStore()

    def credential(self, status_url: str | None = None, *, signed: bool = True) -> dict[str, Any]:
        doc = ob3_credential(self.did, name="Mallory")
        doc["credentialSubject"]["achievement"]["alignment"] = [
            {"type": ["Alignment"], "targetName": "copyright", "targetUrl": "https://www.wikidata.org/wiki/Q12978"}]
        if status_url is not None:
            slot = self.store.allocate(StatusPurpose.REVOCATION)[0]
            doc["credentialStatus"] = slot.entry(status_url)
        return sign(doc, self.signer, self.vm, created=CREATED) if signed else doc

    def status_list(self, url: str) -> dict[str, Any]:
        slot = self.store.allocate(StatusPurpose.REVOCATION)[0]
        state = self.store.get_list(slot.list_id)
        assert state is not None
        doc = status_list_credential(state, list_url=url, issuer=self.did, valid_from=CREATED)
        return sign(doc, self.signer, self.vm, created=CREATED)
