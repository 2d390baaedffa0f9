"""The Open Badges 3.0 document: the fields OB 3.0 and VC 2.0 require, signable without undefined terms."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from issuer.did import did_key, did_key_verification_method
from issuer.documents import build_openbadge, email_identity_hash
from issuer.errors import IssuerError
from issuer.keys import Ed25519Signer
from issuer.proofs import dataintegrity
from issuer.shacl import CredentialShapeChecker
from tests.issuer.documents import inputs


def test_envelope_issuer_and_dates() -> None:
    doc = build_openbadge(inputs.spec(), inputs.learner(), inputs.facts(), inputs.issuer(), inputs.meta())
    assert doc["@context"] == ["https://www.w3.org/ns/credentials/v2",
                               "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert doc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert doc["id"] == inputs.CREDENTIAL_ID
    assert doc["issuer"] == {"id": "did:web:leads.example", "type": ["Profile"], "name": "LEADS test issuer",
                             "url": "https://leads.example"}
    assert doc["validFrom"] == "2026-03-02T09:30:00Z"
    assert doc["awardedDate"] == "2026-03-01T00:00:00Z"
    assert "credentialStatus" not in doc


def test_achievement_carries_the_design_uri_criteria_and_alignments() -> None:
    doc = build_openbadge(inputs.spec(), inputs.learner(), inputs.facts(), inputs.issuer(), inputs.meta())
    subject = doc["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    achievement = subject["achievement"]
    assert achievement["id"] == inputs.DESIGN_URI
    assert achievement["type"] == ["Achievement"]
    assert achievement["name"] == "Rights and licensing for GLAM uploads"
    assert achievement["criteria"] == {"narrative": "Pass: Rights clearance quiz (≥ 70 %)."}
    assert achievement["creditsAvailable"] == 2.5
    by_framework = {a["targetFramework"]: a for a in achievement["alignment"]}
    assert by_framework["ESCO"]["targetUrl"] == inputs.ESCO_SKILL
    assert by_framework["ESCO"]["targetType"] == "ceasn:Competency"
    assert by_framework["Wikidata"]["targetUrl"] == "http://www.wikidata.org/entity/Q1183543"
    assert by_framework["Wikidata"]["targetType"].startswith("ext:")


def test_result_holds_the_grade_and_points_at_its_result_description() -> None:
    doc = build_openbadge(inputs.spec(), inputs.learner(), inputs.facts(), inputs.issuer(), inputs.meta())
    subject = doc["credentialSubject"]
    descriptions = {d["id"]: d for d in subject["achievement"]["resultDescription"]}
    final = subject["result"][0]
    assert final == {"type": ["Result"], "resultDescription": inputs.DESIGN_URI + "#grade", "value": "A"}
    assert descriptions[final["resultDescription"]]["resultType"] == "LetterGrade"
    assert {r["value"] for r in subject["result"]} == {"A", "92 %"}


def test_learner_identity_name_plain_and_email_as_salted_sha256() -> None:
    doc = build_openbadge(inputs.spec(), inputs.learner(), inputs.facts(), inputs.issuer(), inputs.meta())
    identities = {i["identityType"]: i for i in doc["credentialSubject"]["identifier"]}
    assert identities["name"] == {"type": "IdentityObject", "identityType": "name", "hashed": False,
                                  "identityHash": "Ada Lovelace"}
    email = identities["emailAddress"]
    assert email["hashed"] is True and email["salt"] == "5a1t"
    expected = "sha256$" + hashlib.sha256(b"ada@example.org5a1t").hexdigest()
    assert email["identityHash"] == expected == email_identity_hash("ada@example.org", "5a1t")
    assert "Ada@Example.org" not in str(doc)


def test_status_entries_are_listed() -> None:
    doc = build_openbadge(inputs.spec(), inputs.learner(), inputs.facts(), inputs.issuer(),
                          inputs.meta(inputs.STATUS))
    assert [e["statusPurpose"] for e in doc["credentialStatus"]] == ["revocation", "suspension"]
    single = build_openbadge(inputs.spec(), inputs.learner(), inputs.facts(), inputs.issuer(),
                             inputs.meta(inputs.STATUS[:1]))
    assert single["credentialStatus"]["statusListIndex"] == "17"


def test_it_signs_with_every_term_defined_and_verifies_and_passes_the_shape_check() -> None:
    signer = Ed25519Signer.generate()
    did = did_key(signer.public_key_multibase)
    doc = build_openbadge(inputs.spec(), inputs.learner(), inputs.facts(), inputs.issuer(did),
                          inputs.meta(inputs.STATUS))
    signed = dataintegrity.sign(doc, signer, did_key_verification_method(signer.public_key_multibase),
                                created=inputs.ISSUED)  # strict: an undefined term would raise
    assert dataintegrity.verify(signed, signer.public_key_multibase).ok
    assert CredentialShapeChecker().check(signed)[0]
    broken = {**signed, "credentialSubject": {**signed["credentialSubject"], "achievement": {"id": "x:y"}}}
    ok, message = CredentialShapeChecker().check(broken)
    assert not ok and "achievement.criteria is missing" in message


@pytest.mark.parametrize(("changes", "fragment"), [
    ({"eqf_level": 9}, "EQF level must be 1 to 8"),
    ({"uri": "glam-mc-rights"}, "absolute URI"),
    ({"names": {}}, "needs a name"),
    ({"ects": -1.0}, "cannot be negative"),
])
def test_bad_design_input_is_refused_with_a_clear_message(changes: dict[str, object], fragment: str) -> None:
    with pytest.raises(IssuerError, match=fragment):
        inputs.spec(**changes)


def test_naive_dates_are_refused() -> None:
    from issuer.documents import AwardFacts

    with pytest.raises(IssuerError, match="time zone"):
        AwardFacts(awarded=datetime(2026, 1, 1))
    assert AwardFacts(awarded=datetime(2026, 1, 1, tzinfo=UTC)).grade is None


def test_formats_are_registered_and_unknown_ones_are_named() -> None:
    from issuer.documents import format_names, get_format

    assert format_names() == ["edc", "ob3"]
    assert get_format("edc").status_purposes == ("revocation",)
    assert get_format("ob3").status_purposes == ("revocation", "suspension")
    with pytest.raises(IssuerError, match="known: edc, ob3"):
        get_format("pdf")


def test_a_badge_the_ob3_schema_refuses_is_not_signed() -> None:
    """A spec's achievement type reaches the document as it is; 1EdTech's schema wants one of its own types or an
    ``ext:`` name without spaces. Refused before signing (422), naming the place."""
    from issuer.documents import get_format
    from issuer.shacl.checker import Ob3SchemaViolation

    ob3 = get_format("ob3")
    good = ob3.build(inputs.spec(achievement_type="ext:MicroCredential"), inputs.learner(), inputs.facts(),
                     inputs.issuer("did:web:leads.example"), inputs.meta(inputs.STATUS))
    ob3.check(good)
    bad = ob3.build(inputs.spec(achievement_type="Micro credential"), inputs.learner(), inputs.facts(),
                    inputs.issuer("did:web:leads.example"), inputs.meta(inputs.STATUS))
    with pytest.raises(Ob3SchemaViolation, match="credentialSubject/achievement/achievementType") as caught:
        ob3.check(bad)
    assert caught.value.status == 422 and caught.value.code == "ob3_schema_violation"
    assert len(caught.value.details["problems"]) == 1
