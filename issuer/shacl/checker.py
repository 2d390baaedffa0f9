"""Shape checks for verification: EDC documents against the EDC SHACL shapes, OB 3.0 against its required fields.

Fits ``issuer.verify.ShapeChecker``: ``check(credential) -> (ok, message)``. The proof is removed before SHACL
validation (it was checked already, and Data Integrity puts it in a named graph the shapes do not describe).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from issuer.shacl.validator import DocumentLoader, violations


def _types(node: Any) -> list[str]:
    if not isinstance(node, Mapping):
        return []
    value = node.get("type", [])
    return [value] if isinstance(value, str) else [str(v) for v in value if isinstance(v, str)]


def _ob3_problems(credential: Mapping[str, Any]) -> list[str]:
    """The OB 3.0 AchievementCredential schema's required fields, with the JSON-LD latitude VC 2.0 allows."""
    problems = [f"{name} is missing" for name in ("id", "issuer", "validFrom", "credentialSubject")
                if name not in credential]
    issuer = credential.get("issuer")
    if isinstance(issuer, Mapping) and ("id" not in issuer or "Profile" not in _types(issuer)):
        problems.append("issuer needs an id and type Profile")
    subjects = credential.get("credentialSubject")
    for subject in subjects if isinstance(subjects, list) else [subjects]:
        if not isinstance(subject, Mapping):
            continue
        if "AchievementSubject" not in _types(subject):
            problems.append("credentialSubject.type must include AchievementSubject")
        achievement = subject.get("achievement")
        if not isinstance(achievement, Mapping):
            problems.append("credentialSubject.achievement is missing")
            continue
        problems += [f"achievement.{name} is missing" for name in ("id", "criteria", "description", "name")
                     if name not in achievement]
        if "Achievement" not in _types(achievement):
            problems.append("achievement.type must include Achievement")
    return problems


class CredentialShapeChecker:
    """Dispatches on the credential type: EuropeanDigitalCredential → SHACL, OpenBadgeCredential → OB 3.0 fields."""

    def __init__(self, loader: DocumentLoader | None = None) -> None:
        self.loader = loader

    def check(self, credential: dict[str, Any]) -> tuple[bool, str]:
        types = _types(credential)
        if "EuropeanDigitalCredential" in types:
            unsigned = {k: v for k, v in credential.items() if k != "proof"}
            found = [v for v in violations(unsigned, self.loader) if v.severity == "Violation"]
            if found:
                return False, f"{len(found)} EDC SHACL violation(s): " + "; ".join(str(v) for v in found[:3])
            return True, "conforms to the EDC SHACL shapes (ELM 3.2, generic no-cv + full)"
        if "OpenBadgeCredential" in types or "AchievementCredential" in types:
            problems = _ob3_problems(credential)
            if problems:
                return False, "not an Open Badges 3.0 credential: " + "; ".join(problems)
            return True, "has every field Open Badges 3.0 requires"
        if "BitstringStatusListCredential" in types:
            return True, "a Bitstring status list credential"
        return False, f"unknown credential type {types}; expected OpenBadgeCredential or EuropeanDigitalCredential"
