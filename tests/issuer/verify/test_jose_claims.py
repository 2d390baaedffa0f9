"""VC-JOSE: the JWT's registered claims keep their RFC 7519 meaning (VC-JOSE-COSE, 2025). ``exp`` and ``nbf`` bound
the validity check (60 s of clock skew allowed), and ``iss`` must name the credential's issuer."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from issuer.verify import verify_credential
from tests.issuer.samples import ob3_credential
from tests.issuer.verify.test_verify_with_status_lists import DID, NOW, _Issuer


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(issuer: _Issuer, **claims: Any) -> str:
    signer = issuer.keys.active()
    header = {"alg": "Ed25519", "typ": "vc+jwt", "cty": "vc", "kid": f"{DID}#{signer.key_id}"}
    signing_input = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps({**ob3_credential(DID),
                                                                              **claims}).encode())
    return signing_input + "." + _b64(signer.sign(signing_input.encode()))


def _at(moment: datetime) -> int:
    return int(moment.timestamp())


CASES = [
    # claims, verdict, failed check, words in its message
    ({}, "verified", None, ""),
    ({"exp": _at(datetime(2025, 4, 1, tzinfo=UTC))}, "expired", "validity", "the JWT's exp was 2025-04-01T00:00:00Z"),
    ({"exp": _at(NOW)}, "verified", None, ""),  # within the clock-skew allowance
    ({"exp": _at(NOW - timedelta(minutes=5))}, "expired", "validity", "the JWT's exp"),
    ({"exp": _at(NOW + timedelta(days=30))}, "verified", None, ""),
    ({"nbf": _at(datetime(2030, 1, 1, tzinfo=UTC))}, "not_yet_valid", "validity", "the JWT's nbf is 2030-01-01"),
    ({"nbf": _at(NOW + timedelta(seconds=30))}, "verified", None, ""),  # within the clock-skew allowance
    ({"nbf": _at(NOW - timedelta(days=1)), "exp": _at(NOW + timedelta(days=1))}, "verified", None, ""),
    ({"exp": "2026-01-01T00:00:00Z"}, "invalid", "validity", "is not a NumericDate"),
    ({"nbf": True}, "invalid", "validity", "is not a NumericDate"),
    ({"exp": 10**30}, "verified", None, ""),
    ({"iss": "did:web:someone.else"}, "invalid", "issuer", "iss 'did:web:someone.else' is not the credential's issuer"),
    ({"iss": None}, "invalid", "issuer", "is not the credential's issuer"),
    ({"iss": DID}, "verified", None, ""),
]


@pytest.mark.parametrize(("claims", "verdict", "failed", "words"), CASES)
def test_registered_claims_are_honoured(tmp_path: Path, claims: dict[str, Any], verdict: str, failed: str | None,
                                        words: str) -> None:
    issuer = _Issuer(tmp_path)
    report = verify_credential(_jwt(issuer, **claims), resolver=issuer.resolver, now=NOW)
    assert report.verdict == verdict, report.summary()
    assert [c.name for c in report.failed] == ([failed] if failed else [])
    if failed:
        assert words in report.failed[0].message


def test_the_credentials_own_dates_keep_their_reason_when_both_fail(tmp_path: Path) -> None:
    issuer = _Issuer(tmp_path)
    token = _jwt(issuer, validUntil="2025-05-01T00:00:00Z", exp=_at(datetime(2025, 4, 1, tzinfo=UTC)))
    report = verify_credential(token, resolver=issuer.resolver, now=NOW)
    assert report.verdict == "expired"
    assert report.failed[0].message == "expired: validUntil was 2025-05-01T00:00:00Z"


def test_a_forged_jwt_reports_no_claims(tmp_path: Path) -> None:
    issuer = _Issuer(tmp_path)
    token = _jwt(issuer, exp=1)
    head, body, _ = token.split(".")
    report = verify_credential(f"{head}.{body}.{_b64(bytes(64))}", resolver=issuer.resolver, now=NOW)
    assert [(c.name, c.outcome) for c in report.checks if c.name in ("issuer", "validity")] == [
        ("issuer", "not_run"), ("validity", "not_run")]
