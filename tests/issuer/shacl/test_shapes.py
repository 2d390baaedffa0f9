"""The bundled EDC shapes against the official ELM samples (the positive and the known-negative one)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from issuer.shacl import CredentialShapeChecker, shapes_graph, violations


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((resources.files("issuer") / "data" / "elm" / name).read_text("utf-8"))
    return data


def test_the_official_samples_conform() -> None:
    assert violations(sample("credential-sample.jsonld")) == []
    assert violations(sample("Sample-MC-Annex1-payload.jsonld")) == []


def test_the_unsigned_annex1_sample_has_exactly_its_two_known_violations() -> None:
    found = violations(sample("Sample-MC-Annex1-unsigned.jsonld"))
    assert sorted((v.path, v.shape) for v in found) == [
        ("cred:issued", "edc:EuropeanDigitalCredential-cred_issued"),
        ("elm:eidasLegalIdentifier", "edc:IssuerNodeShape (mandatory legal identifier)"),
    ]
    assert {v.severity for v in found} == {"Violation"}
    ok, message = CredentialShapeChecker().check(sample("Sample-MC-Annex1-unsigned.jsonld"))
    assert not ok and message.startswith("2 EDC SHACL violation(s)")


def test_removing_the_issuer_breaks_the_small_sample() -> None:
    doc = sample("credential-sample.jsonld")
    del doc["issuer"]
    assert [v.path for v in violations(doc)] == ["cred:issuer"]


def test_the_shapes_graph_is_parsed_once() -> None:
    assert shapes_graph() is shapes_graph()
    assert len(shapes_graph()) > 1000
