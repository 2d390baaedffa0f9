"""Open Badges 3.0 credentials against 1EdTech's AchievementCredential JSON schema (bundled verbatim)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from issuer.did import did_key, did_key_verification_method
from issuer.documents import build_openbadge
from issuer.keys import Ed25519Signer
from issuer.proofs import dataintegrity
from issuer.shacl import CredentialShapeChecker
from issuer.shacl.checker import ob3_schema_problems
from tests.issuer.documents import inputs

FIXTURES = Path(__file__).with_name("fixtures")


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
