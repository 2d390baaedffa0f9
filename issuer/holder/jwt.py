"""Checking a holder's compact JWS (a key proof, a VP-JWT) with its public JWK: EdDSA/Ed25519 or ES256."""

from __future__ import annotations

import warnings
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey

from issuer.errors import ProofInvalid
from issuer.proofs.jose import JwtParts, peek

KEY_TYPES = {"EdDSA": ("OKP", "Ed25519"), "Ed25519": ("OKP", "Ed25519"), "ES256": ("EC", "P-256")}
ALGORITHMS = tuple(KEY_TYPES)


def verify_holder_jws(token: str, jwk: dict[str, Any]) -> JwtParts:
    """Header and payload when the JWS verifies with ``jwk``; ProofInvalid saying why otherwise."""
    parts = peek(token)
    alg = parts.header.get("alg")
    if alg not in KEY_TYPES:
        raise ProofInvalid(f"JWT alg {alg!r} is not accepted; use one of {', '.join(ALGORITHMS)}")
    if (jwk.get("kty"), jwk.get("crv")) != KEY_TYPES[str(alg)]:
        raise ProofInvalid(f"JWT alg {alg} does not fit the holder's {jwk.get('kty')}/{jwk.get('crv')} key")
    try:  # a key whose coordinates are not base64url, of the wrong length or off the curve is the holder's fault
        key = OKPKey.import_key(jwk) if jwk["kty"] == "OKP" else ECKey.import_key(jwk)
    except (JoseError, ValueError, TypeError) as exc:  # binascii.Error is a ValueError
        raise ProofInvalid(f"the holder's key cannot be read: {exc}") from None
    try:
        with warnings.catch_warnings():  # joserfc flags EdDSA as deprecated (RFC 9864); wallets still send it
            warnings.filterwarnings("ignore", message="EdDSA is deprecated")
            jws.deserialize_compact(token.strip(), key, algorithms=[str(alg)])
    except JoseError as exc:
        raise ProofInvalid(f"the signature does not verify with the holder's key: {exc.error}") from None
    return parts
