"""Inputs shared by the document, SHACL and status tests: one design, one learner, one issuer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from issuer.documents import (
    AchievementSpec,
    Alignment,
    AssessmentResult,
    AwardFacts,
    CredentialMeta,
    IssuerProfile,
    Learner,
    OutcomeSpec,
)

DESIGN_URI = "https://leads.example/entity/glam-mc-rights"
ESCO_SKILL = "http://data.europa.eu/esco/skill/ccdf3597-5c80-410f-896d-e1bdfa223de9"
ISSUED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
CREDENTIAL_ID = "urn:uuid:5c1b0f3e-2b43-4c34-9c61-7f5f0c1d2e3f"


def spec(**changes: Any) -> AchievementSpec:
    values: dict[str, Any] = {
        "uri": DESIGN_URI,
        "names": {"en": "Rights and licensing for GLAM uploads", "es": "Derechos y licencias"},
        "descriptions": {"en": "Can clear the rights of archival material for Wikimedia Commons."},
        "criteria": {"en": "Pass: Rights clearance quiz (≥ 70 %)."},
        "outcomes": (OutcomeSpec("https://leads.example/entity/glam-lo-copyright-status",
                                 {"en": "Determine the copyright status of an archival item"}, ESCO_SKILL),),
        "alignments": (Alignment.wikidata("Q1183543", "copyright status"),),
        "ects": 2.5,
        "eqf_level": 5,
    }
    values.update(changes)
    return AchievementSpec(**values)


def learner() -> Learner:
    return Learner(name="Ada Lovelace", email="Ada@Example.org ", email_salt="5a1t")


def facts() -> AwardFacts:
    return AwardFacts(awarded=datetime(2026, 3, 1, tzinfo=UTC), grade="A", course="GLAM rights (Moodle)",
                      assessments=(AssessmentResult("https://leads.example/entity/glam-as-rights-quiz",
                                                    "Rights clearance quiz", "92 %"),))


def issuer(did: str = "did:web:leads.example") -> IssuerProfile:
    return IssuerProfile(did=did, names={"en": "LEADS test issuer"}, url="https://leads.example",
                         legal_identifier="BE0123456789", country="BEL")


def meta(status: tuple[dict[str, Any], ...] = ()) -> CredentialMeta:
    return CredentialMeta(credential_id=CREDENTIAL_ID, issued=ISSUED, status=status)


STATUS = (
    {"id": "https://leads.example/status/r1#17", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
     "statusListIndex": "17", "statusListCredential": "https://leads.example/status/r1"},
    {"id": "https://leads.example/status/s1#99", "type": "BitstringStatusListEntry", "statusPurpose": "suspension",
     "statusListIndex": "99", "statusListCredential": "https://leads.example/status/s1"},
)
