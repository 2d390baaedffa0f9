"""The OpenID4VCI ``jwt`` key proof (OpenID4VCI 1.0 §8.2.1.1, Appendix F.1): the wallet proves it holds the key the
credential will be bound to.

Checked here: ``typ`` is ``openid4vci-proof+jwt``; the key is named by exactly one of ``kid`` (a did:key or did:jwk
URL) or ``jwk`` (then the holder is that key's did:jwk); the signature; ``aud`` is this credential issuer; ``iat``
is recent. The ``nonce`` is returned: only the caller knows which nonces it gave out and which are spent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from issuer.errors import DidResolutionFailed, KeyError_, ProofInvalid
from issuer.holder.jwt import verify_holder_jws
from issuer.holder.keys import HolderKey, from_jwk, holder_key
from issuer.proofs.jose import peek

PROOF_TYP = "openid4vci-proof+jwt"
MAX_AGE = timedelta(minutes=5)
SKEW = timedelta(seconds=60)


@dataclass(frozen=True)
class KeyProof:
    holder: HolderKey
    nonce: str | None
    issued_at: datetime


def _refuse(message: str) -> ProofInvalid:
    return ProofInvalid(message, code="invalid_proof", status=400)


def verify_key_proof(token: str, *, audience: str, now: datetime, max_age: timedelta = MAX_AGE) -> KeyProof:
    """The holder's key and the proof's nonce; ProofInvalid (code ``invalid_proof``) naming what is wrong."""
    try:
        parts = peek(token)
    except ProofInvalid as exc:
        raise _refuse(f"the key proof is not a JWT: {exc.message}") from None
    header, payload = parts.header, parts.payload
    if header.get("typ") != PROOF_TYP:
        raise _refuse(f"the key proof's typ is {header.get('typ')!r}; it must be {PROOF_TYP!r}")
    kid, jwk = header.get("kid"), header.get("jwk")
    if (kid is None) == (jwk is None):
        raise _refuse("the key proof must name its key by exactly one of 'kid' (a did:key or did:jwk URL) or 'jwk'")
    try:
        holder = holder_key(str(kid)) if kid is not None else from_jwk(jwk if isinstance(jwk, dict) else {})
    except (DidResolutionFailed, KeyError_) as exc:
        raise _refuse(f"the key proof's key cannot be used: {exc.message}") from None
    try:
        verify_holder_jws(token, holder.jwk)
    except ProofInvalid as exc:
        raise _refuse(f"the key proof is not signed by the key it names ({holder.kid}): {exc.message}") from None
    aud = payload.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if audience.rstrip("/") not in [str(a).rstrip("/") for a in audiences if a]:
        raise _refuse(f"the key proof is meant for {aud!r}, not for this credential issuer {audience!r}")
    iat = payload.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool) or not 0 <= iat < 1e11:  # NaN too
        raise _refuse("the key proof has no 'iat' (issued at, in seconds since 1970)")
    issued = datetime.fromtimestamp(iat, UTC)
    if issued > now + SKEW:
        raise _refuse(f"the key proof is dated in the future ({issued.isoformat()}); check the wallet's clock")
    if issued < now - max_age:
        raise _refuse(f"the key proof is too old (made {issued.isoformat()}); ask for a fresh nonce and sign again")
    nonce = payload.get("nonce")
    return KeyProof(holder=holder, nonce=nonce if isinstance(nonce, str) else None, issued_at=issued)
