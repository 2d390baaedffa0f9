"""Another issuer (did:key, trusted by the administrators) keeps its status lists on its own server on loopback.
The pool's periodic re-check fetches each list once per pass and loses nothing: a revocation takes the person out,
a suspension hides them until it is lifted, and an outage keeps them listed (marked, retried with backoff)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bridge.app import create_app
from bridge.dataspace import service as dataspace_service
from bridge.db import Database
from bridge.i18n import longdate
from bridge.pool import service
from bridge.pool.endpoints import _verifier
from bridge.pool.tables import PoolEntry
from bridge.settings import Settings
from issuer.did.key import did_key, did_key_verification_method
from issuer.keys.signer import Ed25519Signer
from issuer.proofs.dataintegrity import sign
from issuer.status.allocation import InMemoryStatusStore, StatusPurpose
from issuer.status.credential import status_list_credential
from tests.bridge.pool.holding import Holder
from tests.bridge.pool.test_pool import ADMIN, COMPETENCE, people, profile
from tests.issuer.samples import ob3_credential

CREATED = datetime(2026, 1, 1, tzinfo=UTC)


class ForeignIssuer:
    """A did:key issuer with revocation and suspension lists it serves itself (``down`` makes it answer 503)."""

    def __init__(self) -> None:
        self.signer = Ed25519Signer.generate()
        self.did = did_key(self.signer.public_key_multibase)
        self.vm = did_key_verification_method(self.signer.public_key_multibase)
        self.store = InMemoryStatusStore()
        self.signed: dict[str, dict[str, Any]] = {}
        self.base = ""
        self.down = False
        self.hits: Counter[str] = Counter()

    def url(self, list_id: str) -> str:
        return f"{self.base}/status/{list_id}"

    def publish_list(self, list_id: str) -> None:
        state = self.store.get_list(list_id)
        assert state is not None
        doc = status_list_credential(state, list_url=self.url(list_id), issuer=self.did, valid_from=CREATED)
        self.signed[list_id] = sign(doc, self.signer, self.vm, created=CREATED)

    def credential(self, name: str,
                   holder: str | None = None) -> tuple[dict[str, Any], dict[str, tuple[str, int]]]:
        slots = {p.value: self.store.allocate(p)[0] for p in (StatusPurpose.REVOCATION, StatusPurpose.SUSPENSION)}
        doc = ob3_credential(self.did, name=name)
        if holder:
            doc["credentialSubject"]["id"] = holder
        doc["credentialSubject"]["achievement"]["alignment"] = [
            {"type": ["Alignment"], "targetName": "copyright", "targetUrl": "https://www.wikidata.org/wiki/Q12978"}]
        doc["credentialStatus"] = [slot.entry(self.url(slot.list_id)) for slot in slots.values()]
        for slot in slots.values():
            self.publish_list(slot.list_id)
        where = {purpose: (slot.list_id, slot.index) for purpose, slot in slots.items()}
        return sign(doc, self.signer, self.vm, created=CREATED), where

    def set(self, where: tuple[str, int], value: bool) -> None:
        self.store.set_status(where[0], where[1], value)
        self.publish_list(where[0])


@pytest.fixture
def foreign() -> Iterator[ForeignIssuer]:
    issuer = ForeignIssuer()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            issuer.hits[self.path] += 1
            list_id = self.path.rsplit("/", 1)[-1]
            if issuer.down or list_id not in issuer.signed:
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = json.dumps(issuer.signed[list_id]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/vc+ld+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    issuer.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield issuer
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def settings(settings: Settings, foreign: ForeignIssuer) -> Settings:
    """The foreign issuer serves on loopback, which verification never fetches from unless an admin allows it."""
    return settings.model_copy(update={"fetch_allowed_hosts": foreign.base})


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    """The pool set to take credentials from every issuer LEADS trusts (not only its own)."""
    dataspace_service.load_sample_if_empty(db)
    with TestClient(create_app(settings.model_copy(update={"pool_trust": "registry"}), db)) as test_client:
        yield test_client


def _trust(client: TestClient, issuer: ForeignIssuer) -> None:
    r = client.post("/api/issuers/trusted", json={"did": issuer.did, "name": "Foreign Academy"}, headers=ADMIN)
    assert r.status_code == 201, r.text


def _publish(client: TestClient, handle: str, name: str, credential: dict[str, Any], holder: Holder) -> None:
    auth = profile(client, handle, name)
    r = client.post(f"/api/pool/profiles/{handle}/credentials",
                    json={"presentation": holder.present(client, credential)}, headers=auth)
    assert r.status_code == 201, r.text


def _states(db: Database) -> dict[str, str]:
    from sqlalchemy import select

    with db.session() as session:
        return {e.profile.handle: e.state for e in session.scalars(select(PoolEntry))}


def _recheck(client: TestClient, now: datetime | None = None) -> service.RecheckResult:
    db: Database = client.app.state.db  # type: ignore[attr-defined]
    return service.recheck(db, _verifier(type("R", (), {"app": client.app})()), now=now, retry_seconds=600)


def test_an_untrusted_issuer_is_refused_and_a_trusted_one_named_by_its_trusted_name(
        client: TestClient, foreign: ForeignIssuer) -> None:
    david = Holder()
    credential, _ = foreign.credential("David", david.did)
    auth = profile(client, "david", "David")
    refused = client.post("/api/pool/profiles/david/credentials",
                          json={"presentation": david.present(client, credential)}, headers=auth)
    assert refused.status_code == 422 and refused.json()["error"] == "issuer_not_trusted"
    assert foreign.did in refused.json()["message"]
    _trust(client, foreign)
    r = client.post("/api/pool/profiles/david/credentials",
                    json={"presentation": david.present(client, credential)}, headers=auth)
    assert r.status_code == 201, r.text
    found = client.get("/pool", params={"competence": COMPETENCE}, headers={"Accept": "application/json"}).json()
    assert found["people"][0]["competences"][0]["issuer_name"] == "Foreign Academy"
    page = client.get("/pool/people/david")
    assert "issued by Foreign Academy" in page.text


def test_revoked_leaves_suspended_hides_and_returns_each_list_fetched_once_per_pass(
        client: TestClient, foreign: ForeignIssuer) -> None:
    _trust(client, foreign)
    holders = {name: Holder() for name in ("David", "Eva", "Fran")}
    creds = {name: foreign.credential(name, holder.did) for name, holder in holders.items()}
    for name, (credential, _) in creds.items():
        _publish(client, name.lower(), name, credential, holders[name])
    assert people(client, competence=COMPETENCE) == ["David", "Eva", "Fran"]

    foreign.hits.clear()
    result = _recheck(client)
    assert len(result.verified) == 3
    assert foreign.hits and set(foreign.hits.values()) == {1}  # three entries, each list fetched once

    foreign.set(creds["Eva"][1]["suspension"], True)
    foreign.set(creds["Fran"][1]["revocation"], True)
    result = _recheck(client)
    assert (len(result.verified), len(result.hidden), len(result.removed)) == (1, 1, 1)
    assert people(client, competence=COMPETENCE) == ["David"]
    assert _states(client.app.state.db) == {"david": "verified", "eva": "suspended"}  # type: ignore[attr-defined]

    foreign.set(creds["Eva"][1]["suspension"], False)  # the suspension is lifted: Eva is back at the next pass
    _recheck(client)
    assert people(client, competence=COMPETENCE) == ["David", "Eva"]


def test_an_unfetchable_status_list_keeps_the_entry_marks_it_and_retries_with_backoff(
        client: TestClient, foreign: ForeignIssuer) -> None:
    _trust(client, foreign)
    david = Holder()
    credential, _ = foreign.credential("David", david.did)
    _publish(client, "david", "David", credential, david)
    db: Database = client.app.state.db  # type: ignore[attr-defined]
    now = datetime.now(UTC)

    foreign.down = True
    result = _recheck(client, now)
    assert result.unchecked and not result.removed  # nothing lost to the outage
    assert people(client, competence=COMPETENCE) == ["David"]  # still listed …
    page = client.get("/pool/people/david").text
    assert "its status could not be checked since" in page and "last verified" in page  # … and marked
    entry = client.get("/pool/people/david", headers={"Accept": "application/json"}).json()["credentials"][0]
    assert entry["state"] == "unchecked"

    foreign.hits.clear()
    assert _recheck(client, now + timedelta(seconds=60)).waiting  # backoff: not tried again at once
    assert not foreign.hits
    result = _recheck(client, now + timedelta(seconds=601))  # due again; still down: the wait doubles
    assert result.unchecked
    with db.session() as session:
        row = session.query(PoolEntry).one()
        assert row.failures == 2
        due = row.next_check_at if row.next_check_at.tzinfo else row.next_check_at.replace(tzinfo=UTC)
        assert due == now + timedelta(seconds=601 + 1200)

    foreign.down = False
    later = now + timedelta(hours=2)
    assert _recheck(client, later).verified
    assert _states(db) == {"david": "verified"}
    assert "verified " + longdate(later, "en") in client.get("/pool/people/david").text  # as people read dates
    with db.session() as session:  # the retry's count and due time are cleared once it verifies again
        row = session.query(PoolEntry).one()
        assert (row.failures, row.next_check_at, row.issuer_name) == (0, None, "Foreign Academy")
        checked = row.checked_at if row.checked_at.tzinfo else row.checked_at.replace(tzinfo=UTC)
        assert checked == later


def _entry_id(db: Database, handle: str) -> int:
    from sqlalchemy import select

    with db.session() as session:
        return next(e.id for e in session.scalars(select(PoolEntry)) if e.profile.handle == handle)


def test_the_evidence_page_that_first_finds_a_suspension_hides_the_entry_at_once(
        client: TestClient, foreign: ForeignIssuer) -> None:
    """Before, the pool learned of another issuer's suspension only at its next pass: until then the public evidence
    page, verifying at each request, showed "Shown by Eva … Suspended by its issuer", and search still listed her."""
    _trust(client, foreign)
    holders = {name: Holder() for name in ("David", "Eva")}
    creds = {name: foreign.credential(name, holder.did) for name, holder in holders.items()}
    for name, (credential, _) in creds.items():
        _publish(client, name.lower(), name, credential, holders[name])
    db: Database = client.app.state.db  # type: ignore[attr-defined]
    eva, david = _entry_id(db, "eva"), _entry_id(db, "david")
    json_ = {"Accept": "application/json"}

    foreign.down = True  # a list that cannot be fetched now changes nothing: the page says so, Eva stays listed
    shown = client.get(f"/pool/evidence/{eva}", headers=json_)
    assert shown.status_code == 200 and shown.json()["verification"]["verified"] is False
    assert people(client, competence=COMPETENCE) == ["David", "Eva"]
    foreign.down = False
    with db.session() as session:  # a proof failing now is left to the pass and its retries (a DID document
        entry = session.get(PoolEntry, david)  # that could not be fetched once fails a proof the same way)
        assert entry is not None
        entry.credential = {**entry.credential, "name": "Altered"}
    shown = client.get(f"/pool/evidence/{david}", headers=json_)
    assert shown.status_code == 200 and shown.json()["verification"]["verified"] is False
    assert _states(db)["david"] == "verified"
    with db.session() as session:
        entry = session.get(PoolEntry, david)
        assert entry is not None
        entry.credential = creds["David"][0]

    foreign.set(creds["Eva"][1]["suspension"], True)
    gone = client.get(f"/pool/evidence/{eva}", headers=json_)
    assert gone.status_code == 404 and gone.json()["error"] == "evidence_gone"
    page = client.get(f"/pool/evidence/{eva}")
    assert page.status_code == 404 and "Eva" not in page.text and "Suspend" not in page.text
    assert people(client, competence=COMPETENCE) == ["David"]
    assert _states(db) == {"david": "verified", "eva": "suspended"}
    assert client.get(f"/pool/evidence/{david}", headers=json_).json()["verification"]["verified"] is True

    foreign.set(creds["Eva"][1]["suspension"], False)  # lifted: the next pass shows her again, as before
    _recheck(client)
    assert client.get(f"/pool/evidence/{eva}", headers=json_).status_code == 200
    assert people(client, competence=COMPETENCE) == ["David", "Eva"]

    foreign.set(creds["Eva"][1]["revocation"], True)  # revoked: the entry leaves, as a pass would take it out
    assert client.get(f"/pool/evidence/{eva}", headers=json_).status_code == 404
    assert _states(db) == {"david": "verified"}
