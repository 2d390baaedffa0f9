"""Anyone may post a credential to be verified, and anyone may publish the status lists and DID documents it points
to: input a JSON-LD processor chokes on, a status index that only looks like a number, a fetched document with the
wrong shapes — each is a credential that does not verify (200, ``verified: false``), never a server error."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient

from issuer.keys.signer import Ed25519Signer
from issuer.proofs.dataintegrity import sign
from tests.issuer.samples import ob3_credential
from tests.security.conftest import app_client
from tests.security.helpers import CREATED, ForeignIssuer, send_json, upstream

SIGNER = Ed25519Signer.generate()


def _verify(client: TestClient, doc: Any) -> dict[str, Any]:
    r = client.post("/api/verify", content=json.dumps(doc))
    assert r.status_code == 200, r.text[:300]
    page = client.post("/verify", data={"credential": json.dumps(doc)})
    assert page.status_code < 500, page.text[:300]
    body: dict[str, Any] = r.json()
    assert body["verified"] is False
    return body


def _respond(issuer: ForeignIssuer) -> Callable[[BaseHTTPRequestHandler], None]:
    def respond(h: BaseHTTPRequestHandler) -> None:
        port = cast(tuple[str, int], h.server.server_address)[1]
        origin = f"http://127.0.0.1:{port}"
        if h.path.startswith("/list"):
            listed = issuer.status_list(f"{origin}{h.path}")
            if h.path == "/list-type5":
                listed["type"] = 5
            send_json(h, listed)
            return
        kind = h.path.strip("/").split("/")[0]
        did = f"did:web:127.0.0.1%3A{port}:{kind}"
        method = {"id": f"{did}#k", "type": "Multikey", "controller": did,
                  "publicKeyMultibase": SIGNER.public_key_multibase}
        doc: dict[str, Any] = {"id": did, "verificationMethod": [method], "assertionMethod": [f"{did}#k"]}
        doc["verificationMethod" if kind == "vm5" else "assertionMethod" if kind == "am5" else "id"] = \
            5 if kind in ("vm5", "am5") else did
        send_json(h, doc)
    return respond


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    issuer = ForeignIssuer()
    with upstream(_respond(issuer)) as up:
        client, _ = app_client(tmp_path_factory.mktemp("odd"), fetch_allowed_hosts=up.origin)
        with client:
            yield client, issuer, up


@pytest.mark.parametrize("change", [
    {"name": "\ud800"}, {"name": 10 ** 4000}, {"@context": {"@vocab": None}},
])
def test_what_json_ld_processing_fails_on_is_not_verified(served: Any, change: dict[str, Any]) -> None:
    client, issuer, _ = served
    doc = ForeignIssuer.credential(issuer, signed=True)
    for key, value in change.items():
        doc[key] = [*doc["@context"], value] if key == "@context" else value
    body = _verify(client, doc)
    assert body["verdict"] == "invalid"


@pytest.mark.parametrize("index", ["\u00b2", "1" * 5000, "٣"])
def test_a_status_index_that_only_looks_like_a_number_is_malformed(served: Any, index: str) -> None:
    client, issuer, up = served
    doc = ForeignIssuer.credential(issuer, signed=False)
    doc["credentialStatus"] = {"id": f"{up.origin}/list#x", "type": "BitstringStatusListEntry",
                               "statusPurpose": "revocation", "statusListIndex": index,
                               "statusListCredential": f"{up.origin}/list"}
    body = _verify(client, sign(doc, issuer.signer, issuer.vm, created=CREATED))
    assert "statusListIndex" in json.dumps(body)


def test_a_fetched_status_list_whose_type_is_not_text_is_no_status_list(served: Any) -> None:
    client, issuer, up = served
    doc = ForeignIssuer.credential(issuer, signed=False)
    doc["credentialStatus"] = {"id": f"{up.origin}/list-type5#x", "type": "BitstringStatusListEntry",
                               "statusPurpose": "revocation", "statusListIndex": "3",
                               "statusListCredential": f"{up.origin}/list-type5"}
    body = _verify(client, sign(doc, issuer.signer, issuer.vm, created=CREATED))
    assert "not a BitstringStatusListCredential" in json.dumps(body)


@pytest.mark.parametrize("kind", ["vm5", "am5"])
def test_a_did_document_with_a_number_for_its_keys_verifies_nothing(served: Any, kind: str) -> None:
    client, _, up = served
    did = f"did:web:127.0.0.1%3A{up.port}:{kind}"
    body = _verify(client, sign(ob3_credential(did), SIGNER, f"{did}#k", created=CREATED))
    assert body["verdict"] == "invalid"


def test_an_odd_copy_keeps_the_original_verifiable(served: Any) -> None:
    client, issuer, _ = served
    doc = ForeignIssuer.credential(issuer, signed=True)
    odd = copy.deepcopy(doc)
    odd["name"] = "\ud800"
    _verify(client, odd)
    assert client.post("/api/verify", content=json.dumps(doc)).json()["genuine"] is True


def test_a_poison_dataset_is_refused_in_bounded_time_not_verified(served: Any) -> None:
    """Blank nodes all alike (a complete graph of nine): canonicalising it took 45 s of a core before the signature
    could be checked, for one anonymous 2 KB request (RDFC-1.0 §4.4.3)."""
    client, issuer, _ = served
    doc = ForeignIssuer.credential(issuer, signed=True)
    doc["@context"] = [*doc["@context"], {"k": {"@id": "https://example.org/k", "@type": "@id"},
                                          "nodes": "https://example.org/nodes"}]
    doc["credentialSubject"]["nodes"] = [{"id": f"_:n{i}", "k": [f"_:n{j}" for j in range(9) if j != i]}
                                         for i in range(9)]
    body = _verify(client, doc)
    proof = next(c for c in body["checks"] if c["name"] == "proof")
    assert body["verdict"] == "invalid" and "canonical form in bounded time" in proof["message"]


@pytest.mark.parametrize(("text", "code"), [
    ('{"@context": [], "n": ' + "1" * 5000 + "}", "credential_not_json"),  # past Python's 4,300 digits
    ('{"@context": [], "name": "\\ud800"}', "credential_not_json"),  # a lone surrogate no page can show
])
def test_what_the_verify_page_cannot_read_is_a_422_not_a_500(served: Any, text: str, code: str) -> None:
    client, _, _ = served
    for sent in ({"data": {"credential": text}}, {"files": {"file": ("c.json", text.encode(), "application/json")}}):
        page = client.post("/verify", **sent)
        assert page.status_code == 422, page.text[:300]
        assert client.post("/map", data={"practice": "glam-archive-to-commons", "credential": text}).status_code < 500


def test_a_credential_of_odd_shapes_is_shown_as_not_verified_not_a_500(served: Any) -> None:
    client, issuer, _ = served
    doc = ForeignIssuer.credential(issuer, signed=True)
    for subject in ("x", 5, [["nested"]], {"achievement": "x", "result": 5, "identifier": "x"}):
        odd = {**doc, "credentialSubject": subject}
        assert client.post("/verify", data={"credential": json.dumps(odd)}).status_code == 200


def test_a_damaged_pdf_is_unreadable_not_a_500(served: Any) -> None:
    """pypdf raises AttributeError on an embedded-file entry that is no stream (found by fuzzing a LEADS PDF)."""
    client, _, _ = served
    damaged = (Path(__file__).resolve().parents[1] / "fixtures" / "damaged" / "ef-not-a-stream.pdf").read_bytes()
    page = client.post("/verify", files={"file": ("certificate.pdf", damaged, "application/pdf")})
    assert page.status_code == 422, page.text[:300]
    assert client.post("/map", data={"practice": "glam-archive-to-commons"},
                       files={"files": ("certificate.pdf", damaged, "application/pdf")}).status_code < 500


@pytest.mark.parametrize("odd", [
    {"type": 5},
    {"type": ["VerifiableCredential", "EuropeanDigitalCredential"], "credentialSubject": {"hasClaim": {"provenBy": 5}}},
    {"type": ["VerifiableCredential", "EuropeanDigitalCredential"],
     "credentialSubject": {"hasClaim": {"provenBy": [{"id": "urn:x", "grade": "A"}]}}},
])
def test_a_type_or_an_edc_claim_of_odd_shapes_is_shown_not_a_500(served: Any, odd: dict[str, Any]) -> None:
    """The API answered 200; the page's reading of the certificate raised TypeError / AttributeError (a 500)."""
    client, issuer, _ = served
    doc = {**ForeignIssuer.credential(issuer, signed=True), **odd}
    page = client.post("/verify", data={"credential": json.dumps(doc)})
    assert page.status_code == 200, page.text[:300]
    assert "Verified:" not in page.text
