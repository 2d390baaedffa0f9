"""A verification report in words a non-expert understands: the verdict first, who issued it, then what each check
asks and what its answer means.

The crypto helper's ``issuer.verify.VerificationReport`` names checks (``proof``, ``issuer``, ``validity`` …) and
gives a technical message; this module adds the question, the plain answer and the consequence, translated. The
verdict tells revoked, suspended, expired and "could not be checked" apart, and never calls a credential verified
unless its issuer is trusted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bridge.i18n import gettext_for
from issuer.verify import Check, IssuerTrust, VerificationReport


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


# (name, reason or outcome) -> a more precise answer than the check's generic one
SPECIFIC: dict[tuple[str, str], str] = {
    ("status", "revoked"): _n("The issuer has revoked this credential. It is no longer valid."),
    ("status", "suspended"): _n("The issuer has suspended this credential. It is not valid while suspended; the "
                                "issuer may lift the suspension."),
    ("status", "unknown"): _n("Its status could not be checked: the issuer's status list could not be reached or "
                              "read. This does not mean it was revoked. Try again later."),
    ("validity", "expired"): _n("The credential has expired: its validity period has ended."),
    ("validity", "not_yet_valid"): _n("The credential is not valid yet: its validity period has not started."),
}

# verdict -> (headline, tone); "untrusted" is formatted with the issuer's DID
HEADLINES: dict[str, tuple[str, str]] = {
    "verified": (_n("Verified: this credential is genuine and valid."), "ok"),
    "untrusted": (_n("Not verified: the signature is intact but LEADS does not know this issuer (%(did)s)."),
                  "warn"),
    "revoked": (_n("Revoked: the issuer has revoked this credential. It is no longer valid."), "bad"),
    "suspended": (_n("Suspended: the issuer has suspended this credential. It is not valid for now."), "warn"),
    "expired": (_n("Expired: this credential is no longer valid."), "bad"),
    "not_yet_valid": (_n("Not valid yet: this credential's validity period has not started."), "warn"),
    "unchecked": (_n("Status unknown: LEADS could not check whether this credential has been revoked. Try again "
                     "later."), "warn"),
}


@dataclass(frozen=True)
class PlainCheck:
    name: str
    outcome: str  # passed | failed | skipped | not_run | unknown
    question: str
    answer: str
    detail: str
    detail_lang: str = "en"  # the verifier's own technical words are English; a refusal of the page is not

    @property
    def ok(self) -> bool:
        return self.outcome in ("passed", "skipped")


@dataclass(frozen=True)
class PlainReport:
    verified: bool
    headline: str
    checks: tuple[PlainCheck, ...]
    format: str
    verdict: str = "invalid"
    tone: str = "bad"  # ok | warn | bad
    issuer_line: str = ""  # who issued it, in words
    issuer_standing: str = ""  # own | registry | unknown; empty when not asked (e.g. the signature failed)
    warning: str = ""  # the credential names its issuer differently from the registry

    def as_dict(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "verdict": self.verdict,
            "headline": self.headline,
            "issuer": self.issuer_line,
            "warning": self.warning,
            "format": self.format,
            "checks": [c.__dict__ | {"ok": c.ok} for c in self.checks],
        }


def _issuer_words(trust: IssuerTrust | None, _: Callable[[str], str]) -> tuple[str, str]:
    """(who issued it, a warning when the credential's own issuer name is not the registry's)."""
    if trust is None:
        return "", ""
    if not trust.trusted:
        return _("LEADS does not know this issuer: %(did)s") % {"did": trust.did or "—"}, ""
    if trust.standing == "own":
        line = _("Issued by %(name)s, an issuer of this LEADS installation.") % {"name": trust.name}
    elif trust.registry == "admin":
        line = _("Issued by %(name)s, trusted by the administrators of this LEADS installation.") % {
            "name": trust.name}
    else:
        line = _("Issued by %(name)s, listed in the issuer registry “%(registry)s”.") % {
            "name": trust.name, "registry": trust.registry}
    warning = ""
    if trust.name_differs:
        warning = _("The credential calls its issuer “%(claimed)s”, but the registry knows this issuer as "
                    "“%(name)s”.") % {"claimed": trust.claimed_name, "name": trust.name}
    return line, warning


def _answer(check: Check, good: str, bad: str, _: Callable[[str], str]) -> str:
    if check.outcome == "skipped":
        return _("Not checked.")
    if check.outcome == "not_run":
        return _("Not run: the signature check failed, so nothing else in this credential can be relied on.")
    specific = SPECIFIC.get((check.name, check.reason)) or SPECIFIC.get((check.name, check.outcome))
    if specific and not check.ok:
        return _(specific)
    return _(good) if check.ok else _(bad)


def plain_checks(checks: list[dict[str, Any]], lang: str) -> tuple[PlainCheck, ...]:
    """Checks given as ``Check.as_dict`` (what a JSON answer carries) in the words of ``lang``, as ``explain`` words
    them: for pages that show a verification run elsewhere (the pool's evidence page)."""
    _: Callable[[str], str] = gettext_for(lang).gettext
    return tuple(_plain(Check(str(raw.get("name", "")), bool(raw.get("ok")), str(raw.get("message", "")),
                              raw.get("outcome", "passed" if raw.get("ok") else "failed"), str(raw.get("reason", ""))),
                        _) for raw in checks)


def _plain(check: Check, _: Callable[[str], str], details_in: str = "en") -> PlainCheck:
    question, good, bad = EXPLAIN.get(check.name, (check.name, "", ""))
    return PlainCheck(check.name, check.outcome, _(question), _answer(check, good, bad, _), check.message, details_in)


def explain(report: VerificationReport, lang: str = "en", details_in: str = "en") -> PlainReport:
    """``details_in``: the language of the checks' messages (the verifier's are English; ``failed_report`` carries
    the page's own refusal, already in ``lang``)."""
    _: Callable[[str], str] = gettext_for(lang).gettext
    checks = []
    for check in report.checks:
        checks.append(_plain(check, _, details_in))
    verdict = report.verdict
    if verdict in HEADLINES:
        text, tone = HEADLINES[verdict]
        did = report.trust.did if report.trust is not None else ""
        headline = _(text) % {"did": did} if "%(did)s" in text else _(text)
    elif any(c.name in ("proof", "format") and c.outcome == "failed" for c in report.checks):
        headline, tone = _("Not verified: this credential has been altered or cannot be read."), "bad"
    else:
        headline, tone = _("Not verified: at least one check failed (see below)."), "bad"
    line, warning = _issuer_words(report.trust, _)
    if verdict == "untrusted":
        line = ""  # the headline already names the DID
    standing = report.trust.standing if report.trust is not None else ""
    return PlainReport(report.ok, headline, tuple(checks), report.format, verdict=verdict, tone=tone,
                       issuer_line=line, warning=warning, issuer_standing=standing)


def failed_report(name: str, message: str) -> VerificationReport:
    """A report for input that never reached the verifier (not JSON, PDF without attachment …)."""
    return VerificationReport("unknown", checks=[Check.failed(name, message)])
