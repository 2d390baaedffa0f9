"""The pool's view of verification: the installation's verifier, reduced to what publishing needs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bridge.credentials.verification import Verifier
from bridge.pool.service import Check, Verdict
from issuer.verify.engine import parse_time


def _issuer(document: dict[str, Any]) -> str:
    issuer = document.get("issuer")
    if isinstance(issuer, dict):
        return str(issuer.get("id", ""))
    return str(issuer or "")


def _until(document: dict[str, Any]) -> datetime | None:
    return parse_time(document.get("validUntil") or document.get("expirationDate"))


class PoolVerifier:
    """Adapts ``bridge.credentials.verification.Verifier`` (proof, issuer, dates, status, shape) to the pool."""

    def __init__(self, verifier: Verifier) -> None:
        self.verifier = verifier

    def __call__(self, credential: dict[str, Any] | str) -> Verdict:
        report = self.verifier.verify(credential)
        document = report.credential or (credential if isinstance(credential, dict) else None)
        return Verdict(
            verified=report.ok,
            checks=tuple(Check(c.name, c.ok, c.message) for c in report.checks),
            issuer=_issuer(document) if document else "",
            valid_until=_until(document) if document else None,
            document=document,
        )
