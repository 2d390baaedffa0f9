"""did:key and did:web: identifiers, URL mapping, DID documents with rotated keys, resolution over httpx."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from issuer.did import (
    DidResolver,
    authorised_for,
    did_key,
    did_web_document,
    did_web_from_url,
    did_web_to_url,
    resolve_did_key,
)
from issuer.errors import DidResolutionFailed
from issuer.keys import FileKeyStore
from tests.issuer.vectors import w3c_key_pair


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
        ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
        ("did:web:example.com%3A3000:user:alice", "https://example.com:3000/user/alice/did.json"),
        ("did:web:example.com%3A3000", "https://example.com:3000/.well-known/did.json"),
    ],
)
def test_did_web_to_url_follows_the_method_spec(did: str, url: str) -> None:
    assert did_web_to_url(did) == url
    assert did_web_to_url(did + "#key-1") == url


def test_did_web_from_base_url_and_path() -> None:
    assert did_web_from_url("https://leads.example.org") == "did:web:leads.example.org"
    assert did_web_from_url("https://leads.example.org:8443/", "orgs/wmde") == \
        "did:web:leads.example.org%3A8443:orgs:wmde"
    assert did_web_from_url("http://127.0.0.1:8000", ["issuers", "wmde"]) == "did:web:127.0.0.1%3A8000:issuers:wmde"
    assert did_web_to_url("did:web:127.0.0.1%3A8000:issuers:wmde", insecure_hosts=["127.0.0.1:8000"]) == \
        "http://127.0.0.1:8000/issuers/wmde/did.json"


@pytest.mark.parametrize("bad", ["did:web:", "did:web:example.com::x", "did:key:z6Mk", "https://example.com"])
def test_malformed_did_web_is_refused(bad: str) -> None:
    with pytest.raises(DidResolutionFailed):
        did_web_to_url(bad)


def test_did_key_resolves_locally() -> None:
    public = w3c_key_pair()["publicKeyMultibase"]
    doc = resolve_did_key(did_key(public) + "#" + public)
    vm = f"did:key:{public}#{public}"
    assert doc["verificationMethod"][0] == {"id": vm, "type": "Multikey", "controller": f"did:key:{public}",
                                            "publicKeyMultibase": public}
    assert authorised_for(doc, vm, "assertionMethod")
    with pytest.raises(DidResolutionFailed):
        resolve_did_key("did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme")  # secp256k1, not Ed25519


def test_did_web_document_keeps_rotated_keys(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path)
    old = store.active()
    new = store.rotate()
    did = did_web_from_url("https://leads.example.org", "issuers/wmde")
    doc = did_web_document(did, store.keys())
    ids = [m["id"] for m in doc["verificationMethod"]]
    assert ids == [f"{did}#{old.key_id}", f"{did}#{new.key_id}"]
    assert all(m["type"] == "Multikey" and m["controller"] == did for m in doc["verificationMethod"])
    assert doc["assertionMethod"] == ids
    assert doc["authentication"] == [f"{did}#{new.key_id}"]
    assert doc["@context"] == ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]


def test_resolver_fetches_did_web_over_httpx(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path)
    did = "did:web:leads.example.org:issuers:wmde"
    doc = did_web_document(did, store.keys())
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path == "/issuers/wmde/did.json":
            return httpx.Response(200, json=doc)
        return httpx.Response(404)

    resolver = DidResolver(transport=httpx.MockTransport(handler))
    vm_id = doc["verificationMethod"][0]["id"]
    method, resolved = resolver.verification_method(vm_id)
    assert resolved == json.loads(json.dumps(doc))
    assert method["publicKeyMultibase"] == store.active().public_key_multibase
    assert seen == ["https://leads.example.org/issuers/wmde/did.json"]
    with pytest.raises(DidResolutionFailed, match="could not be fetched") as refused:
        resolver.resolve("did:web:leads.example.org:issuers:other")
    assert "404" not in str(refused.value)  # what the upstream answered is never told to the caller
    with pytest.raises(DidResolutionFailed, match="no verification method"):
        resolver.verification_method(did + "#nope")
    with pytest.raises(DidResolutionFailed, match="not supported"):
        resolver.resolve("did:ion:abc")
