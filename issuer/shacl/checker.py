"""Shape checks for verification: EDC documents against the EDC SHACL shapes, OB 3.0 against 1EdTech's JSON schema.

Fits ``issuer.verify.ShapeChecker``: ``check(credential) -> (ok, message)``. The proof is removed before SHACL
validation (it was checked already, and Data Integrity puts it in a named graph the shapes do not describe).
The OB 3.0 JSON schema (``schemas/``, verbatim from 1EdTech) is plain JSON: it wants ``proof`` as an array and
``credentialStatus`` as one object, where VC 2.0 / JSON-LD allow either (1EdTech/openbadges-specification#473). A
single proof is therefore wrapped in a list and each status entry is checked on its own; nothing else is relaxed.

The schema is evaluated by jsonschema-rs (compiled, offline: every reference of the schema is inside it), about 200
times faster than the pure-Python ``jsonschema``, which took about half of a verification's CPU; the tests hold the
two to the same verdict and the same places on every broken document they try (docs/decisions/024).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from jsonschema_rs import Draft201909Validator, ValidationError, Validator, validator_map_for

from issuer.errors import IssuerError

if TYPE_CHECKING:
    from issuer.shacl.validator import DocumentLoader


def _types(node: Any) -> list[str]:
    if not isinstance(node, Mapping):
        return []
    value = node.get("type", [])
    return [value] if isinstance(value, str) else [str(v) for v in value if isinstance(v, str)]


@lru_cache(maxsize=1)
def _ob3_schema() -> dict[str, Any]:
    path = resources.files("issuer") / "shacl" / "schemas" / "ob_v3p0_achievementcredential.json"
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


@lru_cache(maxsize=1)
def ob3_schema_validator() -> Draft201909Validator:
    """Formats are annotations in draft 2019-09 (as in ``jsonschema``'s default); no reference is ever fetched."""
    return Draft201909Validator(_ob3_schema(), validate_formats=False, offline=True)


@lru_cache(maxsize=1)
def _ob3_status_validator() -> Validator:
    """The schema's own ``credentialStatus`` subschema, its references resolved against the whole schema."""
    return validator_map_for(_ob3_schema(), validate_formats=False, offline=True)["#/properties/credentialStatus"]


def ob3_schema_problems(credential: Mapping[str, Any]) -> list[str]:
    """Every error of the official AchievementCredential JSON schema, as ``path: message``.

    The document is validated once, with its first status entry; each further entry is validated on its own against
    the schema's ``credentialStatus`` subschema. The schema reaches that property through ``properties`` alone, so this
    finds the same problems, in the same order, as validating one copy of the whole document per entry, at about half
    the cost of a verification's shape check (a LEADS credential has two entries)."""
    doc = dict(credential)
    if isinstance(doc.get("proof"), Mapping):
        doc["proof"] = [doc["proof"]]
    statuses = doc.get("credentialStatus")
    further: list[Any] = []
    if isinstance(statuses, list) and statuses:
        doc["credentialStatus"], further = statuses[0], statuses[1:]
    problems: list[str] = []

    def note(errors: Iterable[ValidationError], *prefix: str) -> None:
        for error in errors:
            where = "/".join([*prefix, *(str(p) for p in error.instance_path)]) or "(document)"
            text = f"{where}: {error.message[:160]}"
            if text not in problems:
                problems.append(text)

    note(ob3_schema_validator().iter_errors(doc))
    for status in further:
        note(_ob3_status_validator().iter_errors(status), "credentialStatus")
    return problems


def _required_field_problems(credential: Mapping[str, Any]) -> list[str]:
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


class Ob3SchemaViolation(IssuerError):
    """An Open Badges 3.0 document that 1EdTech's schema refuses; ``details["problems"]`` lists each place."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            f"the Open Badges 3.0 credential does not conform to 1EdTech's AchievementCredential schema "
            f"({len(problems)} problem(s)); first: {problems[0]}",
            code="ob3_schema_violation",
            status=422,
            details={"problems": problems},
        )
        self.problems = problems


def ob3_problems(credential: Mapping[str, Any]) -> list[str]:
    """What verification reports and issuing refuses: the required fields first, then the schema."""
    return _required_field_problems(credential) or ob3_schema_problems(credential)


def check_ob3(document: Mapping[str, Any]) -> None:
    """Before signing: a badge that verifiers checking the schema (LEADS's own among them) would refuse is never
    signed. Costs about 15 µs, against about a millisecond to sign."""
    problems = ob3_problems(document)
    if problems:
        raise Ob3SchemaViolation(problems)


class CredentialShapeChecker:
    """Dispatches on the credential type: EuropeanDigitalCredential → SHACL, OpenBadgeCredential → OB 3.0 fields."""

    def __init__(self, loader: DocumentLoader | None = None) -> None:
        self.loader = loader

    def check(self, credential: dict[str, Any]) -> tuple[bool, str]:
        types = _types(credential)
        if "EuropeanDigitalCredential" in types:
            # imported here: pyshacl and rdflib take most of a second to load, and only an EDC needs them
            from issuer.shacl.validator import violations

            unsigned = {k: v for k, v in credential.items() if k != "proof"}
            found = [v for v in violations(unsigned, self.loader) if v.severity == "Violation"]
            if found:
                return False, f"{len(found)} EDC SHACL violation(s): " + "; ".join(str(v) for v in found[:3])
            return True, "conforms to the EDC SHACL shapes (ELM 3.2, generic no-cv + full)"
        if "OpenBadgeCredential" in types or "AchievementCredential" in types:
            problems = ob3_problems(credential)
            if problems:
                return False, "not a valid Open Badges 3.0 credential: " + "; ".join(problems[:5])
            return True, "valid against the Open Badges 3.0 AchievementCredential JSON schema (1EdTech)"
        if "BitstringStatusListCredential" in types:
            return True, "a Bitstring status list credential"
        return False, f"unknown credential type {types}; expected OpenBadgeCredential or EuropeanDigitalCredential"
