"""A holder's public key from its DID: did:key (Ed25519 or P-256) and did:jwk, both resolved locally.

Wallets sign with Ed25519 (the DCC Learner Credential Wallet) or P-256 (most EU wallets); either key is returned as
a public JWK so that JWS checks and Data Integrity checks start from one shape.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from issuer.errors import DidResolutionFailed, KeyError_
from issuer.keys.multikey import encode_public_key, multibase_decode

ED25519_PUB = b"\xed\x01"
P256_PUB = b"\x80\x24"  # varint of multicodec 0x1200


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:  # binascii.Error: anyone's DID or JWK member
        raise KeyError_(f"{text[:20]!r} is not base64url") from None


@dataclass(frozen=True)
class HolderKey:
    did: str  # the bare DID: what credentialSubject.id becomes
    kid: str  # the DID URL of the key
    jwk: dict[str, Any]  # public JWK (kty OKP/Ed25519 or EC/P-256)

    @property
    def ed25519_multibase(self) -> str:
        """The key as an Ed25519 Multikey (Data Integrity eddsa-rdfc-2022 needs one); KeyError_ otherwise."""
        if self.jwk.get("kty") != "OKP" or self.jwk.get("crv") != "Ed25519":
            raise KeyError_(f"the key of {self.did} is not an Ed25519 key; eddsa-rdfc-2022 needs one")
        return encode_public_key(_unb64(str(self.jwk["x"])))


def _public(jwk: dict[str, Any]) -> dict[str, Any]:
    if "d" in jwk:
        raise KeyError_("the JWK carries a private key ('d'); send only the public key")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "OKP" and crv == "Ed25519" and isinstance(jwk.get("x"), str):
        return {"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]}
    if kty == "EC" and crv == "P-256" and isinstance(jwk.get("x"), str) and isinstance(jwk.get("y"), str):
        return {"kty": "EC", "crv": "P-256", "x": jwk["x"], "y": jwk["y"]}
    raise KeyError_(f"unsupported holder key {kty}/{crv}: use an Ed25519 (OKP) or P-256 (EC) key")


def did_jwk(jwk: dict[str, Any]) -> str:
    """The did:jwk of a public JWK: did:jwk fixes no member order, so the RFC 7638 one (sorted, compact) is used."""
    return "did:jwk:" + _b64(json.dumps(_public(jwk), separators=(",", ":"), sort_keys=True).encode())


def _did_key(did: str) -> dict[str, Any]:
    try:
        data = multibase_decode(did[len("did:key:"):])
    except KeyError_ as exc:
        raise DidResolutionFailed(f"{did} is not a did:key: {exc.message}") from None
    if data.startswith(ED25519_PUB) and len(data) == 34:
        return {"kty": "OKP", "crv": "Ed25519", "x": _b64(data[2:])}
    if data.startswith(P256_PUB) and len(data) == 35:
        try:
            point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), data[2:])
        except ValueError:
            raise DidResolutionFailed(f"{did} does not hold a valid P-256 point") from None
        numbers = point.public_numbers()
        return {"kty": "EC", "crv": "P-256", "x": _b64(numbers.x.to_bytes(32, "big")),
                "y": _b64(numbers.y.to_bytes(32, "big"))}
    raise DidResolutionFailed(f"{did} is neither an Ed25519 nor a P-256 did:key")


def holder_key(did_url: str) -> HolderKey:
    """The key a DID URL names (``did:key:z…#z…``, ``did:jwk:…#0`` or the bare DID); DidResolutionFailed if none."""
    did, _, fragment = did_url.partition("#")
    if did.startswith("did:key:"):
        jwk = _did_key(did)
        if fragment and fragment != did[len("did:key:"):]:
            raise DidResolutionFailed(f"{did} has no key #{fragment}")
    elif did.startswith("did:jwk:"):
        try:
            raw = json.loads(_unb64(did[len("did:jwk:"):]))
        except (ValueError, KeyError_):
            raise DidResolutionFailed(f"{did[:40]}… is not base64url JSON") from None
        if not isinstance(raw, dict):
            raise DidResolutionFailed("a did:jwk must hold a JSON object")
        try:
            jwk = _public(raw)
            for member in ("x", "y"):
                if member in jwk and len(_unb64(jwk[member])) != 32:
                    raise KeyError_(f"its '{member}' is not 32 bytes of base64url")
        except KeyError_ as exc:
            raise DidResolutionFailed(f"{did[:40]}…: {exc.message}") from None
        if fragment and fragment != "0":
            raise DidResolutionFailed(f"a did:jwk has one key, #0, not #{fragment}")
    else:
        method = ":".join(did.split(":")[:2])
        raise DidResolutionFailed(f"holder DID method {method!r} is not supported; use did:key or did:jwk")
    kid = did_url if fragment else (f"{did}#0" if did.startswith("did:jwk:") else f"{did}#{did[8:]}")
    return HolderKey(did=did, kid=kid, jwk=jwk)


def from_jwk(jwk: dict[str, Any]) -> HolderKey:
    """A wallet that sends its key as a bare JWK is bound by the did:jwk of that key."""
    public = _public(jwk)
    did = did_jwk(public)
    return HolderKey(did=did, kid=f"{did}#0", jwk=public)


def same_key(a: dict[str, Any], b: dict[str, Any]) -> bool:
    fields = ("kty", "crv", "x", "y")
    return all(a.get(f) == b.get(f) for f in fields)
