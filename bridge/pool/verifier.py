"""The pool's view of verification: the installation's verifier, reduced to what publishing needs, with the pool's
own trust rule (``LEADS_POOL_TRUST``): this installation's issuers only, or also the issuers LEADS trusts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from bridge.credentials.api import Verifier
from bridge.pool.service import Check, Verdict
from issuer.verify import IssuerTrust
from issuer.verify.engine import parse_time

Policy = Literal["installation", "registry"]


def _issuer(document: dict[str, Any]) -> str:
    issuer = document.get("issuer")
    if isinstance(issuer, dict):
        return str(issuer.get("id", ""))
    return str(issuer or "")


def _until(document: dict[str, Any]) -> datetime | None:
    return parse_time(document.get("validUntil") or document.get("expirationDate"))


def accepts(policy: Policy, trust: IssuerTrust | None) -> bool:
    if trust is None:
        return False
    return trust.standing == "own" or (policy == "registry" and trust.trusted)


class PoolVerifier:
    """Adapts ``bridge.credentials.verification.Verifier`` (proof, issuer, dates, status, shape, trust) to the pool."""

    def __init__(self, verifier: Verifier, policy: Policy = "installation") -> None:
        self.verifier = verifier
        self.policy = policy

    def for_pass(self) -> PoolVerifier:
        """For one re-check pass: each status list fetched once (see ``Verifier.for_pass``)."""
        return PoolVerifier(self.verifier.for_pass(), self.policy)

    def __call__(self, credential: dict[str, Any] | str) -> Verdict:
        report = self.verifier.verify(credential)
        document = report.credential or (credential if isinstance(credential, dict) else None)
        trusted = accepts(self.policy, report.trust)
        state = report.verdict
        if state == "verified" and not trusted:
            state = "untrusted"  # trusted by LEADS, but not by the pool's stricter rule
        return Verdict(
            verified=report.genuine and trusted,
            checks=tuple(Check(c.name, c.ok, c.message, c.outcome, c.reason) for c in report.checks),
            issuer=_issuer(document) if document else "",
            valid_until=_until(document) if document else None,
            document=document,
            genuine=report.genuine,
            state=state,
            issuer_name=report.trust.name if report.trust is not None and report.trust.trusted else "",
        )
