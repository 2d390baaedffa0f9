"""A minimal OB 3.0 (VC 2.0) credential built here, so proof and verifier tests do not depend on the builders."""

from __future__ import annotations

from typing import Any

OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


def ob3_credential(issuer: str, *, name: str = "Ada Lovelace", valid_from: str = "2025-03-01T00:00:00Z",
                   valid_until: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2", OB3_CONTEXT],
        "id": "urn:uuid:6a3bde0c-5d1b-4b8e-9f3e-0d6f2b1c9a11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Wikimedia Learning Lab"},
        "validFrom": valid_from,
        "name": "Wikidata editing: references",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{
                "type": "IdentityObject",
                "identityHash": name,
                "identityType": "name",
                "hashed": False,
            }],
            "achievement": {
                "id": "https://leads.example/entity/Q42",
                "type": ["Achievement"],
                "name": "Referencing statements on Wikidata",
                "description": "Adds verifiable references to Wikidata statements.\n"
                               "Two lines, a \"quote\" and a tab\t.",
                "criteria": {"narrative": "Completed the course with a passing grade."},
                "alignment": [{
                    "type": ["Alignment"],
                    "targetName": "use digital tools to collaborate",
                    "targetUrl": "http://data.europa.eu/esco/skill/0d5e7c8d-8f70-4e0e-9c53-a7bd4a2c2f5b",
                    "targetType": "ceterms:Skill",
                }],
            },
            "result": [{"type": ["Result"], "value": "92"}],
        },
    }
    if valid_until:
        doc["validUntil"] = valid_until
    return doc
