"""VC-JOSE (W3C VC-JOSE-COSE): a credential secured as a compact JWS, ``typ: vc+jwt``, ``cty: vc``, alg ``Ed25519``.

The payload is the credential itself. Signing goes through the ``Signer`` protocol (so an HSM key works too) and
builds the compact serialisation directly; verification uses joserfc, accepting ``Ed25519`` and the older ``EdDSA``.
"""

from __future__ import annotations

import base64
import json
import math
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from issuer import jsonbound
from issuer.errors import IssuerError, ProofInvalid
from issuer.keys.multikey import decode_public_key
from issuer.keys.signer import Signer

TYP = "vc+jwt"
CTY = "vc"
ALGORITHMS = ("Ed25519", "EdDSA")
LEEWAY = timedelta(seconds=60)  # clock skew allowed on exp and nbf, as for holders' presentations (issuer/holder)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_jwt(credential: dict[str, Any], signer: Signer, verification_method: str) -> str:
    """The credential as a compact JWS; ``kid`` is the verification method id."""
    if signer.algorithm != "Ed25519":
        raise IssuerError(f"VC-JOSE here signs with Ed25519, not {signer.algorithm}", code="wrong_key")
    if "proof" in credential:
        raise IssuerError("A VC-JOSE credential must not carry an embedded proof; remove 'proof' first",
                          code="proof_present", status=422)
    header = {"alg": "Ed25519", "typ": TYP, "cty": CTY, "kid": verification_method}
    signing_input = (
        _b64(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64(json.dumps(credential, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    )
    return signing_input + "." + _b64(signer.sign(signing_input.encode("ascii")))


@dataclass(frozen=True)
class JwtParts:
    header: dict[str, Any]
    payload: dict[str, Any]


def peek(token: str) -> JwtParts:
    """Header and payload without checking the signature (to find the key); ProofInvalid when malformed."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise ProofInvalid("Not a compact JWS: expected three dot-separated parts")
    try:
        header = jsonbound.loads(_unb64(parts[0]))
        payload = jsonbound.loads(_unb64(parts[1]))
    except ValueError as exc:
        raise ProofInvalid(f"The JWT header or payload is not base64url JSON: {exc}") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise ProofInvalid("The JWT header and payload must be JSON objects")
    return JwtParts(header, payload)


def verify_jwt(token: str, public_key_multibase: str) -> dict[str, Any]:
    """The credential when the JWS verifies with the key; ProofInvalid (naming why) otherwise."""
    parts = peek(token)
    alg = parts.header.get("alg")
    if alg not in ALGORITHMS:
        raise ProofInvalid(f"JWT alg {alg!r} is not accepted; use Ed25519 (or EdDSA)")
    if parts.header.get("typ") not in (TYP, "application/vc+jwt"):
        raise ProofInvalid(f"JWT typ {parts.header.get('typ')!r} is not {TYP!r}")
    from joserfc import jws  # imported on use: a tenth of a second that verifying a Data Integrity proof never needs
    from joserfc.errors import JoseError
    from joserfc.jwk import OKPKey

    key = OKPKey.import_key(
        {"kty": "OKP", "crv": "Ed25519", "x": _b64(decode_public_key(public_key_multibase))}
    )
    try:
        with warnings.catch_warnings():  # joserfc flags EdDSA as deprecated (RFC 9864); we still accept it
            warnings.filterwarnings("ignore", message="EdDSA is deprecated")
            jws.deserialize_compact(token.strip(), key, algorithms=[str(alg)])
    except JoseError as exc:
        raise ProofInvalid(f"The JWT signature does not verify: {exc.error}") from None
    return parts.payload


def _moment(seconds: float) -> str:
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return f"{seconds:.0f} seconds after 1970"


def time_claims_problem(payload: dict[str, Any], now: datetime) -> tuple[str, str] | None:
    """Why the JWT's own ``nbf``/``exp`` say the credential is not valid at ``now``, as (reason, message); None when
    they allow it or are absent. VC-JOSE-COSE gives registered claims their RFC 7519 meaning, so a JWT past its
    ``exp`` is not accepted whatever ``validUntil`` says. The reason is ``expired``, ``not_yet_valid``, or empty when
    a claim is not a NumericDate (seconds since the epoch)."""
    seconds = now.timestamp()
    leeway = LEEWAY.total_seconds()
    for claim in ("nbf", "exp"):
        if claim not in payload:
            continue
        value = payload[claim]
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return "", f"the JWT's {claim} {value!r} is not a NumericDate (seconds since 1970-01-01T00:00:00Z)"
        if claim == "nbf" and value > seconds + leeway:
            return "not_yet_valid", f"not valid yet: the JWT's nbf is {_moment(value)}"
        if claim == "exp" and value <= seconds - leeway:
            return "expired", f"expired: the JWT's exp was {_moment(value)}"
    return None


def issuer_claim_problem(payload: dict[str, Any], issuer: str) -> str | None:
    """Why the JWT's ``iss``, when present, disqualifies it: it must name the credential's own issuer, or the JWT
    claims two issuers and a reader of either would be misled."""
    if "iss" not in payload or payload["iss"] == issuer:
        return None
    return f"the JWT's iss {payload['iss']!r} is not the credential's issuer {issuer or '(none named)'}"


__all__ = ["ALGORITHMS", "CTY", "LEEWAY", "TYP", "JwtParts", "issuer_claim_problem", "peek", "sign_jwt",
           "time_claims_problem", "verify_jwt"]
