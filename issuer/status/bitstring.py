"""W3C Bitstring Status List bitstrings: bit 0 is the left-most bit, GZIP + base64url with the multibase ``u``.

Encoding uses zlib level 6 with a GZIP wrapper (mtime 0), which reproduces the specification's example
``encodedList`` byte for byte.
"""

from __future__ import annotations

import base64
import binascii
import zlib

from issuer.errors import IssuerError

MIN_LENGTH = 131_072  # the specification's minimum number of entries (16 KB of single bits)
MAX_DECODED_BYTES = 16 * 1024 * 1024  # refuse GZIP bombs: no legitimate list is larger than 128 M entries


class Bitstring:
    """A fixed-length list of status bits, mutable in place."""

    __slots__ = ("_bits", "length")

    def __init__(self, length: int = MIN_LENGTH, data: bytes | None = None) -> None:
        if length < MIN_LENGTH or length % 8:
            raise IssuerError(
                f"a status list needs at least {MIN_LENGTH} entries and a multiple of 8; got {length}",
                code="status_list_length",
            )
        if data is not None and len(data) * 8 != length:
            raise IssuerError(f"{len(data)} bytes do not hold {length} bits", code="status_list_length")
        self.length = length
        self._bits = bytearray(data) if data is not None else bytearray(length // 8)

    def _check(self, index: int) -> None:
        if not 0 <= index < self.length:
            raise IssuerError(
                f"status index {index} is outside the list (0 to {self.length - 1})", code="status_range"
            )

    def get(self, index: int) -> bool:
        self._check(index)
        return bool(self._bits[index >> 3] & (0x80 >> (index & 7)))

    def set(self, index: int, value: bool) -> None:
        self._check(index)
        mask = 0x80 >> (index & 7)
        if value:
            self._bits[index >> 3] |= mask
        else:
            self._bits[index >> 3] &= ~mask & 0xFF

    def set_indexes(self) -> list[int]:
        """Every index whose bit is 1 (for reports and tests)."""
        out = []
        for byte_no, byte in enumerate(self._bits):
            if byte:
                out += [byte_no * 8 + bit for bit in range(8) if byte & (0x80 >> bit)]
        return out

    def clear_indexes(self) -> list[int]:
        """Every index whose bit is 0, in order (bytes with every bit set are skipped whole)."""
        out: list[int] = []
        for byte_no, byte in enumerate(self._bits):
            if byte != 0xFF:
                out += [byte_no * 8 + bit for bit in range(8) if not byte & (0x80 >> bit)]
        return out

    def to_bytes(self) -> bytes:
        return bytes(self._bits)

    def encode(self) -> str:
        """The ``encodedList`` value: ``u`` + base64url (no padding) of the GZIP-compressed bits."""
        compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
        packed = compressor.compress(bytes(self._bits)) + compressor.flush()
        return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")

    @classmethod
    def decode(cls, encoded: str, *, min_length: int = MIN_LENGTH) -> Bitstring:
        """Expand an ``encodedList``; a malformed value raises ``status_malformed`` saying what is wrong."""
        if not isinstance(encoded, str) or not encoded.startswith("u"):
            raise IssuerError("encodedList must be a multibase base64url string starting with 'u'",
                              code="status_malformed")
        body = encoded[1:]
        try:
            packed = base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_", validate=True)
            inflater = zlib.decompressobj(31)
            data = inflater.decompress(packed, MAX_DECODED_BYTES)
            if inflater.unconsumed_tail:
                raise IssuerError("encodedList expands beyond 16 MB", code="status_malformed")
            if not inflater.eof:
                raise IssuerError("encodedList is truncated or not GZIP data", code="status_malformed")
        except (binascii.Error, zlib.error, ValueError) as exc:
            raise IssuerError(f"encodedList is not base64url GZIP data ({exc})", code="status_malformed") from None
        if len(data) * 8 < min_length:
            raise IssuerError(
                f"the status list has {len(data) * 8} entries, fewer than the minimum {min_length}",
                code="status_list_length",
            )
        return cls(len(data) * 8, data)
