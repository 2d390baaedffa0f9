"""The answer of a verification: every check with its outcome, who issued the credential, and one verdict.

Two questions are answered separately: is the credential *genuine* (signature, key, dates, status, structure) and
*who issued it* (``IssuerTrust``: this installation, an issuer in a trusted registry, or an unknown issuer).
"Verified" needs both: a credential signed by an issuer nobody vouches for is genuine but not verified.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

# passed / failed / skipped (nothing to check); not_run (an earlier check failed, so this one was not tried);
# unknown (it could not be decided: a status list that cannot be fetched is "unknown", never "revoked")
Outcome = Literal["passed", "failed", "skipped", "not_run", "unknown"]
Standing = Literal["own", "registry", "unknown"]
Verdict = Literal["verified", "untrusted", "revoked", "suspended", "expired", "not_yet_valid", "unchecked", "invalid"]


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str
    outcome: Outcome = "passed"
    reason: str = ""  # why it failed, for programs: revoked, suspended, unchecked, expired, not_yet_valid

    @classmethod
    def passed(cls, name: str, message: str) -> Check:
        return cls(name, True, message, "passed")

    @classmethod
    def failed(cls, name: str, message: str, reason: str = "") -> Check:
        return cls(name, False, message, "failed", reason)

    @classmethod
    def skipped(cls, name: str, message: str) -> Check:
        return cls(name, True, message, "skipped")

    @classmethod
    def not_run(cls, name: str, message: str = "not run: the signature check failed") -> Check:
        return cls(name, False, message, "not_run")

    @classmethod
    def unknown(cls, name: str, message: str, reason: str = "unchecked") -> Check:
        return cls(name, False, message, "unknown", reason)

    def as_dict(self) -> dict[str, Any]:
        out = {"name": self.name, "ok": self.ok, "outcome": self.outcome, "message": self.message}
        return out | ({"reason": self.reason} if self.reason else {})


@dataclass(frozen=True)
class IssuerTrust:
    """Who issued the credential, as this verifier knows it (not as the credential claims)."""

    did: str
    standing: Standing
    name: str = ""  # the trusted name: this installation's or the registry's; empty when unknown
    registry: str = ""  # which registry vouches for it (or who added it); empty for own and unknown issuers
    claimed_name: str = ""  # the name the credential gives its issuer
    url: str | None = None

    @property
    def trusted(self) -> bool:
        return self.standing != "unknown"

    @property
    def name_differs(self) -> bool:
        """The credential names its issuer differently from the registry: shown as a warning."""
        def norm(text: str) -> str:
            return " ".join(text.split()).casefold()
        return bool(self.trusted and self.claimed_name and self.name and norm(self.claimed_name) != norm(self.name))

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.did, "standing": self.standing, "trusted": self.trusted, "name": self.name,
                "registry": self.registry, "claimed_name": self.claimed_name, "name_differs": self.name_differs,
                "url": self.url}


@dataclass
class VerificationReport:
    format: str
    checks: list[Check] = field(default_factory=list)
    credential: dict[str, Any] | None = None
    trust: IssuerTrust | None = None  # None: the caller did not ask who issued it (e.g. a status list's proof)

    @property
    def genuine(self) -> bool:
        """Signature, key, dates, status and structure all hold (whoever the issuer is)."""
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def ok(self) -> bool:
        """Verified: genuine, and issued by an issuer this verifier trusts (when it was asked who issued it)."""
        return self.genuine and (self.trust is None or self.trust.trusted)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.outcome in ("failed", "unknown")]

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def _reason(self, name: str) -> str:
        found = self.check(name)
        return found.reason if found is not None and not found.ok else ""

    @property
    def verdict(self) -> Verdict:
        """One word for the answer, worst first: a broken signature beats a revocation beats an unknown issuer."""
        broken = {c.name for c in self.checks if c.outcome == "failed" and not c.reason}
        if not self.checks or broken & {"format", "proof", "proof_purpose", "issuer"}:
            return "invalid"
        for reason in ("revoked", "suspended", "expired", "not_yet_valid"):
            if reason in (self._reason("status"), self._reason("validity")):
                return reason
        if broken:
            return "invalid"
        if any(c.outcome == "unknown" for c in self.checks):
            return "unchecked"
        if self.trust is not None and not self.trust.trusted:
            return "untrusted"
        return "verified"

    def summary(self) -> str:
        if self.ok:
            return "The credential is verified: every check passed and the issuer is trusted."
        if self.genuine and self.trust is not None:
            return (f"The credential is NOT verified: the signature is intact but this verifier does not know the "
                    f"issuer {self.trust.did}.")
        text = "The credential is NOT valid: " + "; ".join(f"{c.name}: {c.message}" for c in self.failed)
        if self.trust is not None and not self.trust.trusted:
            text += f"; and the issuer {self.trust.did} is unknown to this verifier"
        return text

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "verified": self.ok,
            "verdict": self.verdict,
            "genuine": self.genuine,
            "format": self.format,
            "summary": self.summary(),
            "checks": [c.as_dict() for c in self.checks],
        }
        if self.trust is not None:
            out["issuer"] = self.trust.as_dict()
        return out
