"""The verdict in words: each status told apart (never "revoked" for what could not be checked), in both languages,
and who issued it said apart from whether it is genuine."""

from __future__ import annotations

import pytest

from bridge.certificates.checks import explain
from issuer.verify import Check, IssuerTrust, VerificationReport

OWN = IssuerTrust("did:web:leads.example", "own", name="LEADS", claimed_name="LEADS")
GOOD = [Check.passed("proof", "ok"), Check.passed("proof_purpose", "ok"), Check.passed("issuer", "ok"),
        Check.passed("validity", "ok")]


def _report(*extra: Check, trust: IssuerTrust | None = OWN) -> VerificationReport:
    return VerificationReport("data-integrity", checks=[*GOOD, *extra, Check.skipped("shape", "-")], trust=trust)


@pytest.mark.parametrize(("status", "verdict", "tone", "en", "es"), [
    (Check.failed("status", "revoked", "revoked"), "revoked", "bad", "Revoked:", "Revocada:"),
    (Check.failed("status", "suspended", "suspended"), "suspended", "warn", "Suspended:", "Suspendida:"),
    (Check.unknown("status", "status could not be checked: 503"), "unchecked", "warn", "Status unknown:",
     "Estado desconocido:"),
    (Check.passed("status", "not set"), "verified", "ok", "Verified:", "Verificada:"),
])
def test_each_status_has_its_own_words(status: Check, verdict: str, tone: str, en: str, es: str) -> None:
    english, spanish = explain(_report(status), "en"), explain(_report(status), "es")
    assert (english.verdict, english.tone) == (verdict, tone)
    assert english.headline.startswith(en) and spanish.headline.startswith(es)
    if verdict != "revoked":
        assert "revoked this" not in english.headline and "revocado esta" not in spanish.headline
    answer = next(c.answer for c in english.checks if c.name == "status")
    if verdict == "unchecked":
        assert "does not mean it was revoked" in answer
    if verdict == "suspended":
        assert "may lift the suspension" in answer


def test_expired_is_expired() -> None:
    report = VerificationReport("data-integrity", trust=OWN, checks=[
        *GOOD[:3], Check.failed("validity", "expired: validUntil was 2025-01-01", "expired"),
        Check.passed("status", "-"), Check.skipped("shape", "-")])
    plain = explain(report, "es")
    assert plain.verdict == "expired" and plain.headline.startswith("Caducada:")
    assert next(c.answer for c in plain.checks if c.name == "validity").startswith("La credencial ha caducado")


def test_unknown_issuer_never_gets_the_green_verdict() -> None:
    stranger = IssuerTrust("did:key:z6MkStranger", "unknown", claimed_name="LEADS learning data space")
    plain = explain(_report(Check.passed("status", "-"), trust=stranger), "en")
    assert not plain.verified and plain.tone == "warn" and plain.verdict == "untrusted"
    assert plain.headline == ("Not verified: the signature is intact but LEADS does not know this issuer "
                              "(did:key:z6MkStranger).")
    assert plain.issuer_standing == "unknown"


def test_not_run_after_a_failed_signature() -> None:
    report = VerificationReport("data-integrity", trust=None, checks=[
        Check.failed("proof", "changed after signing"),
        *(Check.not_run(n) for n in ("proof_purpose", "issuer", "validity", "status", "shape"))])
    plain = explain(report, "es")
    assert plain.verdict == "invalid" and plain.tone == "bad" and plain.issuer_line == ""
    assert {c.outcome for c in plain.checks[1:]} == {"not_run"} and not any(c.ok for c in plain.checks[1:])
    assert all(c.answer.startswith("No realizada") for c in plain.checks[1:])
