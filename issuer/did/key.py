"""did:key for Ed25519 Multikeys: created and resolved locally (the DID is the key)."""

from __future__ import annotations

from typing import Any

from issuer.errors import DidResolutionFailed, KeyError_
from issuer.keys.multikey import decode_public_key

DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"


def did_key(public_key_multibase: str) -> str:
    return f"did:key:{public_key_multibase}"


def did_key_verification_method(public_key_multibase: str) -> str:
    """The verification method id: ``did:key:z…#z…``."""
    return f"did:key:{public_key_multibase}#{public_key_multibase}"


def resolve_did_key(did: str) -> dict[str, Any]:
    """The DID document of an Ed25519 did:key (with a fragment or not)."""
    bare = did.split("#", 1)[0]
    if not bare.startswith("did:key:"):
        raise DidResolutionFailed(f"{did!r} is not a did:key")
    multibase = bare[len("did:key:"):]
    try:
        decode_public_key(multibase)
    except KeyError_ as exc:
        raise DidResolutionFailed(f"{bare} is not an Ed25519 did:key: {exc.message}") from None
    vm_id = f"{bare}#{multibase}"
    return {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": bare,
        "verificationMethod": [
            {"id": vm_id, "type": "Multikey", "controller": bare, "publicKeyMultibase": multibase}
        ],
        "authentication": [vm_id],
        "assertionMethod": [vm_id],
        "capabilityDelegation": [vm_id],
        "capabilityInvocation": [vm_id],
    }
