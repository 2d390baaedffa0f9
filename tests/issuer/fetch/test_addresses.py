"""``is_public`` against IANA's special-purpose address registries, the same on every Python version: a block
Python 3.11's ``ipaddress`` still calls global (fec0::/10, 192.0.0.0/24, 3fff::/20) must be refused all the same."""

from __future__ import annotations

import pytest

from issuer.fetch import is_public

NOT_PUBLIC = [
    # IPv4 special-purpose registry
    ("0.1.2.3", "this network"),
    ("100.100.100.200", "shared address space"),
    ("192.0.0.1", "IETF protocol assignments"),
    ("192.0.0.8", "IPv4 dummy address"),
    ("192.0.0.171", "NAT64/DNS64 discovery"),
    ("192.0.0.200", "IETF protocol assignments"),
    ("192.88.99.1", "deprecated 6to4 relay anycast"),
    ("198.51.100.7", "documentation (TEST-NET-2)"),
    ("203.0.113.7", "documentation (TEST-NET-3)"),
    ("::ffff:192.0.0.8", "IPv4 dummy address, mapped"),
    # IPv6 special-purpose registry
    ("fec0::1", "deprecated site-local"),
    ("feff::1", "deprecated site-local"),
    ("3fff::1", "documentation (RFC 9637)"),
    ("3fff:fff:ffff::1", "documentation (RFC 9637)"),
    ("100::1", "discard-only"),
    ("100:0:0:1::1", "dummy IPv6 prefix (RFC 9780)"),
    ("2001:2::1", "benchmarking"),
    ("2001:10::1", "ORCHID"),
    ("5f00::1", "SRv6 SIDs"),
    ("::127.0.0.1", "IPv4-compatible (deprecated)"),
    ("64:ff9b:1::a00:1", "local-use IPv4/IPv6 translation"),
    ("fe80::1%eth0", "link-local with a zone"),
    ("ff0e::1", "multicast"),
]

PUBLIC = ["6.6.6.6", "8.8.8.8", "192.0.1.1", "192.88.100.1", "2606:4700:4700::1111", "3fff:1000::1",
          "2a00:1450:4001::1", "::ffff:8.8.8.8"]


@pytest.mark.parametrize(("address", "block"), NOT_PUBLIC)
def test_special_purpose_blocks_are_not_public(address: str, block: str) -> None:
    assert not is_public(address), block


@pytest.mark.parametrize("address", PUBLIC)
def test_global_unicast_next_to_them_stays_public(address: str) -> None:
    assert is_public(address)
