"""The answer of a verification: every check with its outcome, in plain words."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Outcome = Literal["passed", "failed", "skipped"]


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str
    outcome: Outcome = "passed"

    @classmethod
    def passed(cls, name: str, message: str) -> Check:
        return cls(name, True, message, "passed")

    @classmethod
    def failed(cls, name: str, message: str) -> Check:
        return cls(name, False, message, "failed")

    @classmethod
    def skipped(cls, name: str, message: str) -> Check:
        return cls(name, True, message, "skipped")

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "outcome": self.outcome, "message": self.message}


@dataclass
class VerificationReport:
    format: str
    checks: list[Check] = field(default_factory=list)
    credential: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def summary(self) -> str:
        if self.ok:
            return "The credential is valid: every check passed."
        return "The credential is NOT valid: " + "; ".join(f"{c.name}: {c.message}" for c in self.failed)

    def as_dict(self) -> dict[str, Any]:
        return {
            "verified": self.ok,
            "format": self.format,
            "summary": self.summary(),
            "checks": [c.as_dict() for c in self.checks],
        }
