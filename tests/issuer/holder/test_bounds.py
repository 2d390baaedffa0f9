"""Anyone's DID reaches the key decoders before any signature is checked: what cannot be a key is refused at once,
never decoded at quadratic cost (a 1 MB did:key took 4.5 minutes of a core) nor a 500."""

from __future__ import annotations

import base64
import json

import pytest

from issuer.errors import IssuerError
from issuer.holder.keys import holder_key
from issuer.keys.multikey import MAX_B58, b58decode, b58encode


def test_base58_longer_than_any_key_or_signature_is_refused_before_decoding() -> None:
    signature = b58encode(bytes(range(64)))
    assert len(signature) < MAX_B58 and b58decode(signature) == bytes(range(64))
    with pytest.raises(IssuerError, match="longer than any key or signature"):
        b58decode("2" * 1_000_000)


@pytest.mark.parametrize("did", [
    "did:key:z" + "2" * 300_000,
    "did:jwk:" + base64.urlsafe_b64encode(json.dumps({"kty": "OKP", "crv": "Ed25519", "x": "a"}).encode()).decode(),
    "did:jwk:" + base64.urlsafe_b64encode(json.dumps({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}).encode()).decode(),
    "did:jwk:!!!!",
])
def test_a_did_that_holds_no_key_is_a_resolution_failure(did: str) -> None:
    with pytest.raises(IssuerError):
        holder_key(did)
