"""The ELM v3 European Digital Credential: structure as in the ELM samples, and conformance to the EDC shapes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from issuer.did import did_key, did_key_verification_method
from issuer.documents import build_edc
from issuer.keys import Ed25519Signer
from issuer.proofs import dataintegrity
from issuer.shacl import CredentialShapeChecker, ShaclViolation, check_edc, violations
from tests.issuer.documents import inputs


def edc(**spec_changes: Any) -> dict[str, Any]:
    return build_edc(inputs.spec(**spec_changes), inputs.learner(), inputs.facts(), inputs.issuer(),
                     inputs.meta(inputs.STATUS))


def test_envelope_is_vc_1_1_with_the_edc_profile() -> None:
    doc = edc()
    assert doc["@context"][:2] == ["https://www.w3.org/2018/credentials/v1",
                                   "http://data.europa.eu/snb/model/context/edc-ap"]
    assert doc["type"] == ["VerifiableCredential", "EuropeanDigitalCredential"]
    assert doc["issued"] == doc["issuanceDate"] == doc["validFrom"] == "2026-03-02T09:30:00Z"
    issuer = doc["issuer"]
    assert issuer["type"] == "Organisation" and issuer["id"] == "did:web:leads.example"
    assert issuer["eIDASIdentifier"]["notation"] == "BE0123456789"
    assert issuer["location"][0]["address"]["countryCode"]["id"].endswith("/country/BEL")


def test_claim_specification_outcomes_credits_eqf_and_awarding_body() -> None:
    doc = edc()
    person = doc["credentialSubject"]
    assert person["type"] == "Person" and person["fullName"] == {"en": "Ada Lovelace"}
    claim = person["hasClaim"][0]
    assert claim["type"] == "LearningAchievement"
    spec = claim["specifiedBy"]
    assert spec["id"] == inputs.DESIGN_URI  # the design's entity URI, followable back to the data space
    assert "LearningAchievementSpecification" in spec["type"]
    assert spec["learningOutcome"][0]["relatedESCOSkill"][0]["id"] == inputs.ESCO_SKILL
    assert spec["creditPoint"][0]["point"] == "2.5"
    assert spec["creditPoint"][0]["framework"]["id"] == "http://data.europa.eu/snb/education-credit/6fcec5c5af"
    assert spec["eqfLevel"]["id"] == "http://data.europa.eu/snb/eqf/5"
    awarding = claim["awardedBy"]
    assert awarding["type"] == "AwardingProcess"
    assert awarding["awardingBody"][0]["eIDASIdentifier"]["type"] == "LegalIdentifier"
    grades = {a["title"]["en"]: a["grade"]["noteLiteral"]["en"] for a in claim["provenBy"]}
    assert grades["Rights clearance quiz"] == "92 %"


def test_only_the_revocation_entry_is_carried() -> None:
    status = edc()["credentialStatus"]
    assert status["statusPurpose"] == "revocation"
    assert status["type"] == ["CredentialStatus", "BitstringStatusListEntry"]


def test_nested_ids_are_stable_for_the_same_inputs() -> None:
    assert edc() == edc()


def test_it_conforms_to_the_edc_shapes_with_and_without_eqf_and_ects() -> None:
    assert violations(edc()) == []
    assert violations(edc(eqf_level=None, ects=None, outcomes=())) == []


def test_a_broken_edc_is_refused_naming_node_path_and_shape() -> None:
    doc = copy.deepcopy(edc())
    del doc["issuer"]["eIDASIdentifier"]
    del doc["credentialSubject"]["hasClaim"][0]["title"]
    with pytest.raises(ShaclViolation) as err:
        check_edc(doc)
    found = {(v.focus, v.path, v.shape) for v in err.value.violations}
    assert ("did:web:leads.example", "elm:eidasLegalIdentifier",
            "edc:IssuerNodeShape (mandatory legal identifier)") in found
    assert any(v.path == "dc:title" and v.shape == "edc:LearningAchievement-dc_title" for v in err.value.violations)
    assert err.value.code == "edc_shape_violation" and err.value.status == 422
    assert "elm:eidasLegalIdentifier" in err.value.message or "dc:title" in err.value.message
    assert len(err.value.as_dict()["violations"]) == 2


def test_signed_edc_verifies_and_still_passes_the_shape_check() -> None:
    signer = Ed25519Signer.generate()
    did = did_key(signer.public_key_multibase)
    doc = build_edc(inputs.spec(), inputs.learner(), inputs.facts(), inputs.issuer(did), inputs.meta(inputs.STATUS))
    check_edc(doc)
    signed = dataintegrity.sign(doc, signer, did_key_verification_method(signer.public_key_multibase),
                                created=inputs.ISSUED)
    assert dataintegrity.verify(signed, signer.public_key_multibase).ok
    ok, message = CredentialShapeChecker().check(signed)
    assert ok, message
