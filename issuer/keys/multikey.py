"""Multikey / multibase encoding of Ed25519 keys: ``z`` + base58btc(multicodec prefix + key bytes).

Public keys use the ed25519-pub multicodec (0xed 0x01), private seeds ed25519-priv (0x80 0x26).
Base58btc is written out here (a dozen lines) rather than pulled in as a dependency.
"""

from __future__ import annotations

from issuer.errors import KeyError_

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}
ED25519_PUB = b"\xed\x01"
ED25519_PRIV = b"\x80\x26"


def b58encode(data: bytes) -> str:
    zeros = len(data) - len(data.lstrip(b"\0"))
    num = int.from_bytes(data, "big")
    out = []
    while num:
        num, rem = divmod(num, 58)
        out.append(_ALPHABET[rem])
    return "1" * zeros + "".join(reversed(out))


MAX_B58 = 512  # characters: a signature is 88, a key under 60 (256 bytes are 350); decoding is quadratic


def b58decode(text: str) -> bytes:
    """Base58btc to bytes. Anyone's input reaches it (a DID, a proofValue) before any signature is checked, and the
    decoding is quadratic: a 1 MB did:key kept a core busy for 4.5 minutes. Nothing LEADS reads is longer than
    ``MAX_B58`` characters."""
    if len(text) > MAX_B58:
        raise KeyError_(f"a base58btc value of {len(text)} characters is longer than any key or signature "
                        f"({MAX_B58} at most)")
    num = 0
    for char in text:
        try:
            num = num * 58 + _INDEX[char]
        except KeyError:
            raise KeyError_(f"{char!r} is not a base58btc character") from None
    zeros = len(text) - len(text.lstrip("1"))
    body = num.to_bytes((num.bit_length() + 7) // 8, "big") if num else b""
    return b"\0" * zeros + body


def multibase_decode(value: str) -> bytes:
    if not value.startswith("z"):
        raise KeyError_(f"multibase value {value[:12]!r}… must start with 'z' (base58btc)")
    return b58decode(value[1:])


def encode_public_key(raw: bytes) -> str:
    """Ed25519 public key (32 bytes) as publicKeyMultibase."""
    if len(raw) != 32:
        raise KeyError_("an Ed25519 public key has 32 bytes")
    return "z" + b58encode(ED25519_PUB + raw)


def decode_public_key(multibase: str) -> bytes:
    data = multibase_decode(multibase)
    if not data.startswith(ED25519_PUB) or len(data) != 34:
        raise KeyError_(
            f"{multibase[:16]}… is not an Ed25519 Multikey (expected z + base58btc of 0xed01 + 32 bytes)"
        )
    return data[2:]


def encode_private_key(seed: bytes) -> str:
    """Ed25519 private seed (32 bytes) as secretKeyMultibase."""
    if len(seed) != 32:
        raise KeyError_("an Ed25519 private key seed has 32 bytes")
    return "z" + b58encode(ED25519_PRIV + seed)


def decode_private_key(multibase: str) -> bytes:
    """The 32-byte seed; also accepts the 64-byte seed‖public form some tools write."""
    data = multibase_decode(multibase)
    if not data.startswith(ED25519_PRIV) or len(data) not in (34, 66):
        raise KeyError_(f"{multibase[:8]}… is not an Ed25519 private Multikey (0x8026 + seed)")
    return data[2:34]
