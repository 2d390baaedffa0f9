"""A verification report in words a non-expert understands: what each check asks, and what a failure means.

The crypto helper's ``issuer.verify.VerificationReport`` names checks (``proof``, ``issuer``, ``validity`` …) and
gives a technical message; this module adds the question, the plain answer and the consequence, translated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bridge.i18n import gettext_for
from issuer.verify import Check, VerificationReport


def _n(text: str) -> str:  # marks a string for extraction; translated at render time
    return text


# name -> (question, what passing means, what failing means)
EXPLAIN: dict[str, tuple[str, str, str]] = {
    "format": (
        _n("Can the credential be read?"),
        _n("It is a well-formed credential."),
        _n("This is not a credential LEADS can read. Check that you pasted or uploaded the whole file."),
    ),
    "proof": (
        _n("Is the signature intact?"),
        _n("The digital signature matches the content: nothing was changed since it was signed."),
        _n("The signature does not match. The credential was changed after it was signed, or it was never "
           "signed. Do not trust any of its content."),
    ),
    "proof_purpose": (
        _n("Was the key allowed to sign credentials?"),
        _n("The issuer has published this key as one it uses to sign credentials."),
        _n("The key that signed this was not published by the issuer for signing credentials."),
    ),
    "issuer": (
        _n("Who issued it?"),
        _n("The signing key belongs to the issuer named in the credential."),
        _n("The key that signed it does not belong to the named issuer, or the issuer's identity could not be "
           "looked up. Someone may be pretending to be that issuer."),
    ),
    "validity": (
        _n("Is it within its dates?"),
        _n("Today is within the period in which the credential is valid."),
        _n("The credential is not valid today: it has expired or is not valid yet."),
    ),
    "status": (
        _n("Has it been revoked?"),
        _n("The issuer has not revoked or suspended it."),
        _n("The issuer has revoked or suspended this credential, or its status could not be checked. It should "
           "no longer be relied on."),
    ),
    "shape": (
        _n("Does it have the expected structure?"),
        _n("The credential has every field its standard requires."),
        _n("The credential lacks fields its standard requires or has invalid values."),
    ),
}


@dataclass(frozen=True)
class PlainCheck:
    name: str
    outcome: str  # passed | failed | skipped
    question: str
    answer: str
    detail: str

    @property
    def ok(self) -> bool:
        return self.outcome != "failed"


@dataclass(frozen=True)
class PlainReport:
    verified: bool
    headline: str
    checks: tuple[PlainCheck, ...]
    format: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "headline": self.headline,
            "format": self.format,
            "checks": [c.__dict__ | {"ok": c.ok} for c in self.checks],
        }


def explain(report: VerificationReport, lang: str = "en") -> PlainReport:
    _: Callable[[str], str] = gettext_for(lang).gettext
    checks = []
    for check in report.checks:
        question, good, bad = EXPLAIN.get(check.name, (check.name, "", ""))
        answer = _("Not checked.") if check.outcome == "skipped" else _(good) if check.ok else _(bad)
        checks.append(PlainCheck(check.name, check.outcome, _(question), answer, check.message))
    if report.ok:
        headline = _("Verified: this credential is genuine and valid.")
    elif any(c.name == "status" and not c.ok for c in report.checks) and all(
        c.ok for c in report.checks if c.name in ("proof", "issuer")
    ):
        headline = _("Not valid: the issuer has revoked this credential.")
    elif any(c.name in ("proof", "format") and not c.ok for c in report.checks):
        headline = _("Not verified: this credential has been altered or cannot be read.")
    else:
        headline = _("Not verified: at least one check failed (see below).")
    return PlainReport(report.ok, headline, tuple(checks), report.format)


def failed_report(name: str, message: str) -> VerificationReport:
    """A report for input that never reached the verifier (not JSON, PDF without attachment …)."""
    return VerificationReport("unknown", checks=[Check.failed(name, message)])
