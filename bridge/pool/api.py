"""The pool domain's door: the verifier the pool trusts (the installation's verifier with the pool's trust rule)."""

from __future__ import annotations

from fastapi import Request

from bridge.pool.capx import SkillList
from bridge.pool.mapping import achievements, design_evidence, evidence
from bridge.pool.retention import tidy
from bridge.pool.service import Verifier, recheck
from bridge.pool.verifier import PoolVerifier
from bridge.pool.wikilogin import form_targets


def pool_verifier(request: Request) -> Verifier:
    """The pool's verifier (built once by the composition root)."""
    verifier: Verifier = request.app.state.pool_verifier
    return verifier


__all__ = ["PoolVerifier", "SkillList", "achievements", "design_evidence", "evidence", "form_targets", "pool_verifier",
           "recheck", "tidy"]
