"""The ``Signer`` protocol and registry: anything that signs bytes with a key named by a verification method.

File keys implement it here; an HSM, a cloud KMS or a PKCS#11 token plugs in by registering a factory under a name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from issuer.errors import UnsupportedFeature
from issuer.keys.multikey import decode_private_key, decode_public_key, encode_public_key


@runtime_checkable
class Signer(Protocol):
    """Signs with one key. ``key_id`` is stable (the verification-method fragment); ``algorithm`` e.g. Ed25519."""

    @property
    def key_id(self) -> str: ...

    @property
    def algorithm(self) -> str: ...

    @property
    def public_key_multibase(self) -> str: ...

    def sign(self, data: bytes) -> bytes: ...


class Ed25519Signer:
    """An in-process Ed25519 key (from a file key store, or a Multikey secret for tests and vectors)."""

    algorithm = "Ed25519"

    def __init__(self, private_key: Ed25519PrivateKey, key_id: str | None = None) -> None:
        self._private = private_key
        raw = private_key.public_key().public_bytes_raw()
        self._public_multibase = encode_public_key(raw)
        self._key_id = key_id or self._public_multibase

    @classmethod
    def from_multibase(cls, secret_key_multibase: str, key_id: str | None = None) -> Ed25519Signer:
        return cls(Ed25519PrivateKey.from_private_bytes(decode_private_key(secret_key_multibase)), key_id)

    @classmethod
    def generate(cls) -> Ed25519Signer:
        return cls(Ed25519PrivateKey.generate())

    @property
    def key_id(self) -> str:
        return self._key_id

    @property
    def public_key_multibase(self) -> str:
        return self._public_multibase

    @property
    def private_key(self) -> Ed25519PrivateKey:
        return self._private

    def sign(self, data: bytes) -> bytes:
        return self._private.sign(data)


def verify_ed25519(public_key_multibase: str, signature: bytes, data: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``data`` by the Multikey public key."""
    key = Ed25519PublicKey.from_public_bytes(decode_public_key(public_key_multibase))
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


SignerFactory = Callable[..., Signer]
_REGISTRY: dict[str, SignerFactory] = {}


def register_signer(name: str, factory: SignerFactory) -> None:
    """Register a signer back-end (e.g. ``pkcs11``) whose factory takes keyword configuration."""
    _REGISTRY[name] = factory


def signer_names() -> list[str]:
    return sorted(_REGISTRY)


def make_signer(name: str, **config: Any) -> Signer:
    factory = _REGISTRY.get(name)
    if factory is None:
        raise UnsupportedFeature(f"No signer back-end named {name!r}; available: {', '.join(signer_names())}")
    return factory(**config)


register_signer("ed25519-multikey", lambda secret_key_multibase, key_id=None: Ed25519Signer.from_multibase(
    secret_key_multibase, key_id))
