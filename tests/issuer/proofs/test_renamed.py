"""A signed credential whose status entries or dates are rewritten under another key (the same RDF statements, so the
signature still holds) must not verify as never revoked or never expiring: the proof is refused."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from issuer.canon import enable_crosscheck
from issuer.proofs.dataintegrity import sign
from issuer.proofs.renamed import renamed, restructured
from issuer.verify import verify_credential
from tests.issuer.samples import ob3_credential
from tests.issuer.verify.test_verify_with_status_lists import DID, NOW, _Issuer

CRED = "https://www.w3.org/2018/credentials#"
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"


def _inline_alias(doc: dict[str, Any]) -> dict[str, Any]:
    doc["@context"] = [*doc["@context"], {"cs": {"@id": f"{CRED}credentialStatus", "@type": "@id"}}]
    doc["cs"] = doc.pop("credentialStatus")
    return doc


def _iri_as_key(doc: dict[str, Any]) -> dict[str, Any]:
    doc[f"{CRED}credentialStatus"] = doc.pop("credentialStatus")
    return doc


def _hide_one_keep_a_copy(doc: dict[str, Any]) -> dict[str, Any]:
    """Two entries: the revocation one hidden under an alias, the other written twice (the graph has it once)."""
    entries = doc["credentialStatus"]
    doc["@context"] = [*doc["@context"], {"cs": {"@id": f"{CRED}credentialStatus", "@type": "@id"}}]
    doc["cs"], doc["credentialStatus"] = entries[0], [entries[1], copy.deepcopy(entries[1])]
    return doc


@pytest.fixture
def revoked(tmp_path: Path) -> tuple[_Issuer, dict[str, Any]]:
    iss = _Issuer(tmp_path)
    credential, list_id, index = iss.issue()
    iss.store.set_status(list_id, index, True)
    iss.publish(list_id)
    return iss, credential


@pytest.mark.parametrize("rewrite", [_inline_alias, _iri_as_key])
def test_a_revoked_credential_with_its_status_under_another_key_is_not_verified(
        revoked: tuple[_Issuer, dict[str, Any]], rewrite: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    iss, credential = revoked
    assert verify_credential(credential, resolver=iss.resolver, now=NOW, status_checker=iss.checker()).verdict \
        == "revoked"
    report = verify_credential(rewrite(copy.deepcopy(credential)), resolver=iss.resolver, now=NOW,
                               status_checker=iss.checker())
    assert not report.ok and report.verdict != "verified"
    proof = next(c for c in report.checks if c.name == "proof")
    assert proof.outcome == "failed" and "credentialStatus under another name" in proof.message, proof.message


def test_hiding_one_of_two_entries_behind_a_duplicate_of_the_other_is_seen(tmp_path: Path) -> None:
    iss = _Issuer(tmp_path)
    doc = ob3_credential(DID)
    first, second = (iss.store.allocate(p)[0] for p in _purposes())
    doc["credentialStatus"] = [first.entry("https://leads.example.org/status/r/1"),
                               second.entry("https://leads.example.org/status/s/1")]
    credential = iss._sign(doc)
    from issuer.canon import get_canonicaliser

    canon = get_canonicaliser()
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    assert renamed(unsecured, canon.canonicalize(unsecured)) == []
    forged = _hide_one_keep_a_copy(copy.deepcopy(unsecured))
    assert renamed(forged, canon.canonicalize(forged)) == ["credentialStatus"]


def _purposes() -> list[Any]:
    from issuer.status import StatusPurpose

    return [StatusPurpose.REVOCATION, StatusPurpose.SUSPENSION]


def test_an_expired_credential_with_validuntil_under_another_key_is_not_verified(tmp_path: Path) -> None:
    iss = _Issuer(tmp_path)
    signer = iss.keys.active()
    expired = sign(ob3_credential(DID, valid_until="2025-04-01T00:00:00Z"), signer, f"{DID}#{signer.key_id}",
                   created="2025-03-01T10:00:00Z")
    assert verify_credential(expired, resolver=iss.resolver, now=NOW, require_status=False).verdict == "expired"
    for key, context in (("vu", [{"vu": {"@id": f"{CRED}validUntil", "@type": XSD_DATETIME}}]),
                         (f"{CRED}validUntil", [])):
        forged = copy.deepcopy(expired)
        forged["@context"] = [*forged["@context"], *context]
        value = forged.pop("validUntil")
        forged[key] = value if context else {"@value": value, "@type": XSD_DATETIME}
        report = verify_credential(forged, resolver=iss.resolver, now=NOW, require_status=False)
        assert not report.ok and report.verdict != "verified", (key, report.verdict)


@pytest.mark.parametrize("body", [
    {"name": "\ud800"},  # a lone surrogate: pyoxigraph refuses the string
    {"name": 10 ** 4000},  # 4,001 digits (JSON parsers take it): pyld's number check overflows
    {"@context": [{"@vocab": None}]},
])
def test_what_a_json_ld_processor_fails_on_is_a_failed_proof_not_a_server_error(tmp_path: Path,
                                                                                 body: dict[str, Any]) -> None:
    iss = _Issuer(tmp_path)
    credential = iss._sign(ob3_credential(DID))
    forged = copy.deepcopy(credential)
    for key, value in body.items():
        forged[key] = [*forged["@context"], *value] if key == "@context" else value
    report = verify_credential(forged, resolver=iss.resolver, now=NOW, require_status=False)
    assert not report.ok and next(c for c in report.checks if c.name == "proof").outcome == "failed"


def _nest(doc: dict[str, Any]) -> dict[str, Any]:
    doc["@context"] = [*doc["@context"], {"more": "@nest"}]
    doc["more"] = {"credentialStatus": doc.pop("credentialStatus")}
    return doc


def _nest_keyword(doc: dict[str, Any]) -> dict[str, Any]:
    doc["@nest"] = {"credentialStatus": doc.pop("credentialStatus")}
    return doc


def _included(doc: dict[str, Any]) -> dict[str, Any]:
    doc["@included"] = [{"id": doc["id"], "type": doc["type"], "credentialStatus": doc.pop("credentialStatus")}]
    return doc


def _included_alias(doc: dict[str, Any]) -> dict[str, Any]:
    doc["@context"] = [*doc["@context"], {"also": {"@id": "@included"}}]
    doc["also"] = [{"id": doc["id"], "credentialStatus": doc.pop("credentialStatus")}]
    return doc


@pytest.fixture
def as_served() -> Iterator[None]:
    """The fast canonicaliser alone, as LEADS runs: the suite's cross-check with pyld would refuse these documents
    for a reason of its own (pyld reads a term under ``@nest`` as undefined), hiding what a server does with them."""
    enable_crosscheck(False)
    yield
    enable_crosscheck(True)


@pytest.mark.parametrize("rewrite", [_nest, _nest_keyword, _included, _included_alias])
def test_a_revoked_credential_with_its_status_moved_out_of_its_object_is_not_verified(
        revoked: tuple[_Issuer, dict[str, Any]], rewrite: Callable[[dict[str, Any]], dict[str, Any]],
        as_served: None) -> None:
    """The graph (so the signature) is the same, and the status entry keeps its name, but it sits where a verifier
    reading the top-level names does not look: before, the status check said "it cannot be revoked" and the verdict
    was "verified"."""
    iss, credential = revoked
    report = verify_credential(rewrite(copy.deepcopy(credential)), resolver=iss.resolver, now=NOW,
                               status_checker=iss.checker())
    assert not report.ok and report.verdict != "verified"
    proof = next(c for c in report.checks if c.name == "proof")
    assert proof.outcome == "failed" and "outside its top-level object" in proof.message, proof.message


def test_dates_moved_into_a_nested_node_of_the_same_id_are_seen() -> None:
    until = "2020-01-01T00:00:00Z"
    doc: dict[str, Any] = {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:uuid:1",
                           "validUntil": until,
                           "credentialSubject": {"id": "did:example:1", "x": {"id": "urn:uuid:1", "validUntil": until}}}
    assert restructured(doc) == ["id"]
    del doc["credentialSubject"]["x"]["validUntil"]
    assert restructured(doc) == []  # a reference to itself without its dates hides nothing


def test_a_plain_credential_uses_no_moving_keyword(revoked: tuple[_Issuer, dict[str, Any]]) -> None:
    assert restructured(revoked[1]) == []
