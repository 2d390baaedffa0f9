"""Open Badges 3.0 credentials against 1EdTech's AchievementCredential JSON schema (bundled verbatim)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import pytest

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


def _per_entry_problems(credential: dict[str, Any], iter_errors: Any, path_of: Any) -> list[str]:
    """The plain reading of the schema: one copy of the whole document per status entry, every error kept once."""
    doc = dict(credential)
    if isinstance(doc.get("proof"), dict):
        doc["proof"] = [doc["proof"]]
    statuses = doc.get("credentialStatus")
    variants = [{**doc, "credentialStatus": s} for s in statuses] if isinstance(statuses, list) and statuses \
        else [doc]
    problems: list[str] = []
    for variant in variants:
        for error in iter_errors(variant):
            text = f"{'/'.join(str(p) for p in path_of(error)) or '(document)'}: {error.message[:160]}"
            if text not in problems:
                problems.append(text)
    return problems


def _per_entry_reference(credential: dict[str, Any]) -> list[str]:
    """The same validator as the module's, compiled afresh, on one copy per entry."""
    validator = jsonschema_rs.Draft201909Validator(json.loads(SCHEMA.read_text(encoding="utf-8")),
                                                   validate_formats=False, offline=True)
    return _per_entry_problems(credential, validator.iter_errors, lambda e: e.instance_path)


def _python_jsonschema_places(credential: dict[str, Any]) -> list[str]:
    """An independent implementation (the pure-Python ``jsonschema``): the places its errors name, once each."""
    validator = jsonschema.Draft201909Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    found = _per_entry_problems(credential, validator.iter_errors, lambda e: e.absolute_path)
    return list(dict.fromkeys(p.split(": ", 1)[0] for p in found))


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


def _leaf_variants(badge: dict[str, Any]) -> list[dict[str, Any]]:
    """Every value of the badge, one at a time, replaced by a number, an object, a malformed string (formats are
    annotations in draft 2019-09: neither implementation may refuse it) and by nothing (removed)."""
    out: list[dict[str, Any]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in children:
            here = (*path, key)
            for replacement in (7, {"x": 1}, "not a date, not an address", None):
                copied = copy.deepcopy(badge)
                parent: Any = copied
                for step in here[:-1]:
                    parent = parent[step]
                if replacement is None:
                    if isinstance(parent, list):
                        continue
                    del parent[key]
                else:
                    parent[key] = replacement
                out.append(copied)
            walk(child, here)

    walk(badge, ())
    return out


def test_the_compiled_validator_agrees_with_python_jsonschema_on_every_broken_badge() -> None:
    """jsonschema-rs (what verification runs) against the reference implementation ``jsonschema``: the same verdict
    and the same places named, on the hand-made cases and on every value of a signed badge broken in three ways."""
    badge = signed_badge()
    cases = [*_broken(badge), *_leaf_variants(badge)]
    assert len(cases) > 200
    failing = 0
    for case in cases:
        places = list(dict.fromkeys(p.split(": ", 1)[0] for p in ob3_schema_problems(case)))
        reference = _python_jsonschema_places(case)
        assert sorted(places) == sorted(reference), json.dumps(case)[:400]
        failing += bool(reference)
    assert failing > 100  # most of the breakages are schema errors, so the agreement is not on empty lists


def test_the_schema_is_never_fetched_from_the_network() -> None:
    """Every reference of the bundled schema points inside it, and the validator is built offline: no lookup."""
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            refs.extend(v for k, v in node.items() if k in ("$ref", "$recursiveRef", "$dynamicRef"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    walk(schema)
    assert len(refs) > 20 and all(r.startswith("#/$defs/") for r in refs)
    remote = {"properties": {"x": {"$ref": "https://leads.example/remote.json"}}}
    with pytest.raises(jsonschema_rs.ValidationError, match="Retrieval is disabled"):
        jsonschema_rs.Draft201909Validator(remote, validate_formats=False, offline=True)
