"""Keys: Ed25519 Multikey encoding, the Signer protocol and registry, the file key store and PKCS#11 tokens."""

from issuer.keys.multikey import (
    b58decode,
    b58encode,
    decode_private_key,
    decode_public_key,
    encode_private_key,
    encode_public_key,
)
from issuer.keys.pkcs11 import Pkcs11Signer
from issuer.keys.signer import (
    Ed25519Signer,
    Signer,
    make_signer,
    register_signer,
    signer_names,
    verify_ed25519,
)
from issuer.keys.store import FileKeyStore, KeyRecord

__all__ = [
    "Ed25519Signer",
    "FileKeyStore",
    "KeyRecord",
    "Pkcs11Signer",
    "Signer",
    "b58decode",
    "b58encode",
    "decode_private_key",
    "decode_public_key",
    "encode_private_key",
    "encode_public_key",
    "make_signer",
    "register_signer",
    "signer_names",
    "verify_ed25519",
]
