"""Open Badges 3.0 credentials against 1EdTech's AchievementCredential JSON schema (bundled verbatim)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft201909Validator

from issuer.did import did_key, did_key_verification_method
from issuer.documents import build_openbadge
from issuer.keys import Ed25519Signer
from issuer.proofs import dataintegrity
from issuer.shacl import CredentialShapeChecker
from issuer.shacl.checker import ob3_schema_problems
from tests.issuer.documents import inputs

FIXTURES = Path(__file__).with_name("fixtures")
SCHEMA = Path(__file__).parents[3] / "issuer" / "shacl" / "schemas" / "ob_v3p0_achievementcredential.json"


def signed_badge() -> dict[str, Any]:
    signer = Ed25519Signer.generate()
    did = did_key(signer.public_key_multibase)
    doc = build_openbadge(inputs.spec(), inputs.learner(), inputs.facts(), inputs.issuer(did),
                          inputs.meta(inputs.STATUS))
    return dataintegrity.sign(doc, signer, did_key_verification_method(signer.public_key_multibase),
                              created=inputs.ISSUED)


def test_the_specification_sample_is_valid() -> None:
    sample = json.loads((FIXTURES / "basicOpenBadgeCredential.json").read_text(encoding="utf-8"))
    assert ob3_schema_problems(sample) == []
    assert CredentialShapeChecker().check(sample)[0]


def test_a_leads_badge_with_proof_and_two_status_entries_is_valid() -> None:
    ok, message = CredentialShapeChecker().check(signed_badge())
    assert ok, message
    assert "1EdTech" in message


def test_schema_errors_name_the_path() -> None:
    badge = copy.deepcopy(signed_badge())
    badge["credentialSubject"]["result"][0]["type"] = ["Outcome"]
    badge["credentialStatus"][1]["type"] = 7
    problems = ob3_schema_problems(badge)
    assert any(p.startswith("credentialSubject/result/0/type:") for p in problems), problems
    assert any(p.startswith("credentialStatus/type:") for p in problems), problems
    ok, message = CredentialShapeChecker().check(badge)
    assert not ok and "credentialSubject/result/0/type" in message


def _per_entry_reference(credential: dict[str, Any]) -> list[str]:
    """The plain reading of the schema: one copy of the whole document per status entry, every error kept once."""
    validator = Draft201909Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))  # not the module's cached one
    doc = dict(credential)
    if isinstance(doc.get("proof"), dict):
        doc["proof"] = [doc["proof"]]
    statuses = doc.get("credentialStatus")
    variants = [{**doc, "credentialStatus": s} for s in statuses] if isinstance(statuses, list) and statuses \
        else [doc]
    problems: list[str] = []
    for variant in variants:
        for error in validator.iter_errors(variant):
            text = f"{'/'.join(str(p) for p in error.absolute_path) or '(document)'}: {error.message[:160]}"
            if text not in problems:
                problems.append(text)
    return problems


def _broken(badge: dict[str, Any]) -> list[dict[str, Any]]:
    """Badges broken in the status entries, elsewhere, and in both: every case the shortcut has to agree on."""
    def variant(change: Any) -> dict[str, Any]:
        copied = copy.deepcopy(badge)
        change(copied)
        return copied

    status = badge["credentialStatus"]
    return [
        badge,
        variant(lambda b: b["credentialStatus"][1].update(type=7)),
        variant(lambda b: b["credentialStatus"][0].update(type=7)),
        variant(lambda b: b["credentialStatus"][1].pop("id")),
        variant(lambda b: b["credentialStatus"][1].update(id=["not", "a", "string"], type=None)),
        variant(lambda b: b["credentialStatus"].append("a string, not an object")),
        variant(lambda b: b["credentialStatus"].append(7)),
        variant(lambda b: b["credentialStatus"].extend([{"type": 1}, {"id": 2}, {**status[0]}])),
        variant(lambda b: b.update(credentialStatus=[status[1], status[0]])),
        variant(lambda b: b.update(credentialStatus=status[0])),
        variant(lambda b: b.update(credentialStatus=[])),
        variant(lambda b: b.update(credentialStatus=[{"type": 5}])),
        variant(lambda b: b.pop("credentialStatus")),
        variant(lambda b: b.update(proof=b["proof"] if isinstance(b["proof"], dict) else b["proof"][0])),
        variant(lambda b: (b["credentialSubject"]["result"][0].update(type=["Outcome"]),
                           b["credentialStatus"][1].update(type=7), b["credentialStatus"][0].pop("id"))),
        variant(lambda b: (b.pop("issuer"), b.update(validFrom=3), b["credentialStatus"][1].update(type=[]))),
        variant(lambda b: (b.update(type="AchievementCredential"), b["credentialStatus"].append({}))),
    ]


def test_validating_the_further_status_entries_alone_finds_what_a_copy_per_entry_finds() -> None:
    """ob3_schema_problems validates the document once and each further status entry alone (half the work): the
    problems, and their order, are those of one whole-document copy per entry."""
    cases = _broken(signed_badge())
    assert len(cases) == 17
    expected = [_per_entry_reference(case) for case in cases]
    for case, problems in zip(cases, expected, strict=True):
        assert ob3_schema_problems(case) == problems, json.dumps(case.get("credentialStatus"))
    # five conform (the badge, its entries swapped, one entry as an object, none, the proof as an object)
    assert sum(bool(problems) for problems in expected) == 12


def test_the_schema_reaches_the_status_entries_through_properties_alone() -> None:
    """What the shortcut rests on: no top-level keyword but ``properties`` can see ``credentialStatus``."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    reaching = {"properties", "patternProperties", "additionalProperties", "unevaluatedProperties", "allOf",
                "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas", "dependentRequired",
                "dependencies", "$ref", "$recursiveRef", "propertyNames"}
    assert set(schema) & reaching == {"properties", "additionalProperties"}
    assert schema["additionalProperties"] is True
