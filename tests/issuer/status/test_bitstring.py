"""Bitstring Status List encoding against the W3C specification's example and the spec's bit order."""

from __future__ import annotations

import base64
import gzip

import pytest

from issuer.errors import IssuerError
from issuer.status import MIN_LENGTH, Bitstring

# "Example BitstringStatusListCredential" in W3C Bitstring Status List v1.0: an empty list of 131,072 entries
SPEC_EXAMPLE = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def test_spec_example_decodes_to_an_empty_list_of_the_minimum_length() -> None:
    bits = Bitstring.decode(SPEC_EXAMPLE)
    assert bits.length == MIN_LENGTH == 131_072
    assert bits.set_indexes() == []


def test_an_empty_list_encodes_byte_for_byte_like_the_spec_example() -> None:
    assert Bitstring().encode() == SPEC_EXAMPLE


def test_index_zero_is_the_left_most_bit() -> None:
    bits = Bitstring()
    bits.set(0, True)
    bits.set(9, True)
    bits.set(MIN_LENGTH - 1, True)
    raw = bits.to_bytes()
    assert raw[0] == 0x80 and raw[1] == 0x40 and raw[-1] == 0x01
    assert bits.get(0) and bits.get(9) and not bits.get(1)


def test_round_trip_keeps_every_set_bit_and_is_plain_gzip_base64url() -> None:
    bits = Bitstring()
    for i in (3, 94_567, 23_452, 131_071):
        bits.set(i, True)
    bits.set(3, False)
    encoded = bits.encode()
    assert encoded.startswith("u") and "=" not in encoded and "+" not in encoded and "/" not in encoded
    body = encoded[1:]
    assert gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))) == bits.to_bytes()
    assert Bitstring.decode(encoded).set_indexes() == [23_452, 94_567, 131_071]


def test_a_larger_list_is_allowed() -> None:
    bits = Bitstring(MIN_LENGTH * 2)
    bits.set(MIN_LENGTH * 2 - 1, True)
    assert Bitstring.decode(bits.encode()).length == MIN_LENGTH * 2


@pytest.mark.parametrize(("encoded", "code"), [
    ("zH4sIAAAAAAAAA", "status_malformed"),  # not base64url multibase
    ("u!!!", "status_malformed"),
    ("u" + base64.urlsafe_b64encode(b"not gzip").decode().rstrip("="), "status_malformed"),
    ("u" + base64.urlsafe_b64encode(gzip.compress(bytes(1024), mtime=0)).decode().rstrip("="), "status_list_length"),
])
def test_malformed_or_short_lists_are_refused(encoded: str, code: str) -> None:
    with pytest.raises(IssuerError) as err:
        Bitstring.decode(encoded)
    assert err.value.code == code


def test_out_of_range_index_and_short_length_are_refused() -> None:
    with pytest.raises(IssuerError, match="outside the list"):
        Bitstring().get(MIN_LENGTH)
    with pytest.raises(IssuerError, match="at least 131072"):
        Bitstring(1024)
