"""The offline QR: the credential itself in a QR code, so a verifier checks it with no network.

Format ``VC1:`` (see docs/decisions/010-offline-qr.md)::

    "VC1:" + base45( zlib( cbor(credential), preset dictionary v1 ) )

``credential`` is the JSON value: an object for an embedded-proof credential (Data Integrity), or a string for an
enveloped one (VC-JOSE compact JWS). CBOR keeps key order and the int/float distinction, so decoding gives back a
value equal to the original JSON; proofs cover the JSON-LD canonical form (or the JWS bytes), never whitespace.
The preset dictionary is the CBOR of a typical credential: deflate copies the repeated context URLs, type names
and property names from it, which roughly halves a small credential. It is frozen; a new one means ``VC2:``.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import cbor2

from issuer.errors import IssuerError
from issuer.qr.base45 import Base45Error, b45decode, b45encode
from issuer.qr.codes import Level, QrSymbol, QrTooLarge, make_qr

PREFIX = "VC1:"
DICTIONARY_SHA256 = "4131c96a599966ef9955a5f444f6b7467199ee9424b279350ea601b4112ff540"
MAX_DECODED_BYTES = 1 << 20  # a QR holds < 3 kB; anything inflating past 1 MiB is an attack, not a credential
DEFAULT_LEVEL: Level = "M"  # 15% recovery: the URL QR beside it (level Q) is the fallback if this one is damaged
DEFAULT_MAX_VERSION = 25  # 117 modules: about 0.4 mm per module in a 5 cm print, still read by phone cameras

Credential = dict[str, Any] | str


class OfflineQrError(IssuerError):
    code = "offline_qr_invalid"
    status = 422


@lru_cache(maxsize=1)
def dictionary() -> bytes:
    data = (Path(__file__).parent / "data" / "offline-dict-v1.bin").read_bytes()
    if hashlib.sha256(data).hexdigest() != DICTIONARY_SHA256:  # a changed dictionary breaks every printed QR
        raise OfflineQrError("issuer/qr/data/offline-dict-v1.bin was modified; restore it (it is frozen)")
    return data


def encode_offline(credential: Mapping[str, Any] | str) -> str:
    """The ``VC1:`` text of a credential (JSON object or compact JWS string)."""
    if not isinstance(credential, str | Mapping):
        raise OfflineQrError("an offline QR carries a JSON object or a compact JWS string")
    value = credential if isinstance(credential, str) else dict(credential)
    packer = zlib.compressobj(level=9, wbits=15, zdict=dictionary())
    packed = packer.compress(cbor2.dumps(value)) + packer.flush()
    return PREFIX + b45encode(packed)


def decode_offline(text: str) -> Credential:
    """The credential carried by a ``VC1:`` text; a clear error for anything else."""
    text = text.strip()
    if not text.upper().startswith(PREFIX):
        raise OfflineQrError(f"not an offline credential QR: it should start with {PREFIX!r}")
    try:
        packed = b45decode(text[len(PREFIX) :].upper())
    except Base45Error as exc:
        raise OfflineQrError(f"the offline QR text is damaged: {exc.message}") from None
    if len(packed) < 6 or not packed[1] & 0x20:  # FDICT: the stream must name the preset dictionary
        raise OfflineQrError("the offline QR data was not packed with the VC1 dictionary; it is damaged or not VC1")
    unpacker = zlib.decompressobj(wbits=15, zdict=dictionary())
    try:
        raw = unpacker.decompress(packed, MAX_DECODED_BYTES)
    except zlib.error as exc:
        raise OfflineQrError(f"the offline QR data does not decompress ({exc}); it is damaged or not VC1") from None
    if unpacker.unconsumed_tail or not unpacker.eof:
        raise OfflineQrError("the offline QR data is truncated or inflates past 1 MiB")
    try:
        value = cbor2.loads(raw)
    except Exception as exc:  # cbor2 raises several types; all mean the same to the person scanning
        raise OfflineQrError(f"the offline QR data is not valid CBOR: {exc}") from None
    if not isinstance(value, dict | str):
        raise OfflineQrError("the offline QR data is neither a JSON object nor a compact JWS string")
    _check_json(value)
    return value


def offline_qr(
    credential: Mapping[str, Any] | str, *, level: Level = DEFAULT_LEVEL, max_version: int = DEFAULT_MAX_VERSION
) -> QrSymbol:
    """The offline QR symbol; QrTooLarge when the credential is too big (then print only the URL QR)."""
    text = encode_offline(credential)
    try:
        return make_qr(text, level=level, max_version=max_version)
    except QrTooLarge as exc:
        raise QrTooLarge(f"this credential is too large for an offline QR: {exc.message}") from None


def fits_offline(
    credential: Mapping[str, Any] | str, *, level: Level = DEFAULT_LEVEL, max_version: int = DEFAULT_MAX_VERSION
) -> bool:
    try:
        offline_qr(credential, level=level, max_version=max_version)
    except QrTooLarge:
        return False
    return True


def _check_json(value: Any, depth: int = 0) -> None:
    """Only JSON types (CBOR has more: bytes, tags, non-string keys); a verifier must see what was signed."""
    if depth > 64:
        raise OfflineQrError("the offline QR data nests deeper than 64 levels")
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise OfflineQrError("the offline QR data has a non-string object key")
            _check_json(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _check_json(v, depth + 1)
    elif not (value is None or isinstance(value, bool | int | float | str)):
        raise OfflineQrError(f"the offline QR data holds a {type(value).__name__}, which JSON does not have")
