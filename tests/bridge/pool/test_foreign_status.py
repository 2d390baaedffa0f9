"""Another issuer (did:key) revokes its credential in its own status list, served over HTTP: the pool's
periodic re-check fetches the list, verifies it, reads the bit, and the person leaves the pool."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bridge.db import Database
from bridge.pool import service
from bridge.pool.endpoints import _verifier
from issuer.did.key import did_key, did_key_verification_method
from issuer.keys.signer import Ed25519Signer
from issuer.proofs.dataintegrity import sign
from issuer.status.allocation import InMemoryStatusStore, StatusPurpose
from issuer.status.credential import status_list_credential
from tests.bridge.pool.holding import Holder
from tests.bridge.pool.test_pool import COMPETENCE, client, people, profile
from tests.issuer.samples import ob3_credential

__all__ = ["client"]
CREATED = datetime(2026, 1, 1, tzinfo=UTC)


class ForeignIssuer:
    """A did:key issuer with a revocation list it serves itself on loopback."""

    def __init__(self) -> None:
        self.signer = Ed25519Signer.generate()
        self.did = did_key(self.signer.public_key_multibase)
        self.vm = did_key_verification_method(self.signer.public_key_multibase)
        self.store = InMemoryStatusStore()
        self.signed_list: dict[str, Any] = {}
        self.url = ""

    def publish_list(self, list_id: str) -> None:
        state = self.store.get_list(list_id)
        assert state is not None
        doc = status_list_credential(state, list_url=self.url, issuer=self.did, valid_from=CREATED)
        self.signed_list = sign(doc, self.signer, self.vm, created=CREATED)

    def credential(self, holder: str | None = None) -> tuple[dict[str, Any], str, int]:
        slot = self.store.allocate(StatusPurpose.REVOCATION)[0]
        doc = ob3_credential(self.did, name="David")
        if holder:
            doc["credentialSubject"]["id"] = holder
        doc["credentialSubject"]["achievement"]["alignment"] = [
            {"type": ["Alignment"], "targetName": "copyright", "targetUrl": "https://www.wikidata.org/wiki/Q12978"}]
        doc["credentialStatus"] = slot.entry(self.url)
        self.publish_list(slot.list_id)
        return sign(doc, self.signer, self.vm, created=CREATED), slot.list_id, slot.index


@pytest.fixture
def foreign() -> Iterator[ForeignIssuer]:
    issuer = ForeignIssuer()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            body = json.dumps(issuer.signed_list).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/vc+ld+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    issuer.url = f"http://127.0.0.1:{server.server_address[1]}/status/1"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield issuer
    finally:
        server.shutdown()
        server.server_close()


def test_foreign_revocation_takes_the_person_out_at_the_next_recheck(client: TestClient,
                                                                     foreign: ForeignIssuer) -> None:
    david = Holder()
    credential, list_id, index = foreign.credential(david.did)
    auth = profile(client, "david", "David")
    published = client.post("/api/pool/profiles/david/credentials",
                            json={"presentation": david.present(client, credential)}, headers=auth)
    assert published.status_code == 201, published.text
    db: Database = client.app.state.db  # type: ignore[attr-defined]
    verifier = _verifier(type("R", (), {"app": client.app})())

    assert service.recheck(db, verifier) == []  # the list says "not revoked": David stays
    assert people(client, competence=COMPETENCE) == ["David"]

    foreign.store.set_status(list_id, index, True)
    foreign.publish_list(list_id)
    assert len(service.recheck(db, verifier)) == 1
    assert people(client, competence=COMPETENCE) == []
