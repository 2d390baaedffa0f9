"""An Ed25519 key kept in a PKCS#11 token (an HSM, a smart card, SoftHSM): the private key never enters LEADS.

The signer opens a session per signature (``CKM_EDDSA`` on the token's private key found by label), so a token
that was unplugged or restarted is found again on the next call. ``python-pkcs11`` is an optional dependency
(``pip install leads[hsm]``); it is imported when a PKCS#11 signer is made, never at start-up. Tested against
Debian's SoftHSM2 (tests/issuer/keys/test_pkcs11.py), whose mechanism and attribute names are the standard ones.
"""

from __future__ import annotations

import threading
from typing import Any

from issuer.errors import KeyError_
from issuer.keys.multikey import encode_public_key
from issuer.keys.signer import register_signer

ED25519_OID = "1.3.101.112"  # RFC 8410 id-Ed25519: the curve of CKK_EC_EDWARDS keys LEADS uses


def _pkcs11() -> Any:
    try:
        import pkcs11
    except ImportError:
        raise KeyError_("PKCS#11 signing needs the python-pkcs11 package: install LEADS with the 'hsm' extra",
                        code="pkcs11_missing", status=500) from None
    return pkcs11


def _raw_point(ec_point: bytes) -> bytes:
    """The 32 key bytes of CKA_EC_POINT: tokens return them DER-wrapped (04 20 …) or bare (PKCS#11 3.0 allows
    both for Edwards keys)."""
    if len(ec_point) == 34 and ec_point[:2] == b"\x04\x20":
        return ec_point[2:]
    if len(ec_point) == 32:
        return ec_point
    raise KeyError_(f"the token's public key is not an Ed25519 point ({len(ec_point)} bytes)", code="pkcs11_key",
                    status=500)


class Pkcs11Signer:
    """Signs with the Ed25519 private key labelled ``key_label`` in the token labelled ``token_label``."""

    algorithm = "Ed25519"

    def __init__(self, module: str, token_label: str, key_label: str, pin: str | None = None) -> None:
        self.module, self.token_label, self.key_label = module, token_label, key_label
        self._pin = pin
        self._lock = threading.Lock()  # one session at a time per signer: tokens limit concurrent sessions
        self._public = encode_public_key(self._read_public())

    def _token(self) -> Any:
        pkcs11 = _pkcs11()
        try:
            return pkcs11.lib(self.module).get_token(token_label=self.token_label)
        except (RuntimeError, OSError, pkcs11.PKCS11Error) as exc:
            raise KeyError_(f"PKCS#11 token {self.token_label!r} in {self.module} is not reachable: "
                            f"{exc.__class__.__name__} {exc}", code="pkcs11_unreachable", status=503) from None

    def _read_public(self) -> bytes:
        pkcs11 = _pkcs11()
        with self._lock, self._token().open(user_pin=self._pin) as session:
            try:
                key = session.get_key(object_class=pkcs11.ObjectClass.PUBLIC_KEY, label=self.key_label)
            except pkcs11.PKCS11Error as exc:
                raise KeyError_(f"no public key {self.key_label!r} in token {self.token_label!r}: "
                                f"{exc.__class__.__name__}", code="pkcs11_key", status=500) from None
            return _raw_point(bytes(key[pkcs11.Attribute.EC_POINT]))

    @property
    def key_id(self) -> str:
        return self._public

    @property
    def public_key_multibase(self) -> str:
        return self._public

    def sign(self, data: bytes) -> bytes:
        pkcs11 = _pkcs11()
        with self._lock, self._token().open(user_pin=self._pin) as session:
            try:
                key = session.get_key(object_class=pkcs11.ObjectClass.PRIVATE_KEY, label=self.key_label)
                signature: bytes = key.sign(data, mechanism=pkcs11.Mechanism.EDDSA)
            except pkcs11.PKCS11Error as exc:
                raise KeyError_(f"the token refused to sign with {self.key_label!r}: {exc.__class__.__name__}",
                                code="pkcs11_sign", status=503) from None
        return signature


def generate_pkcs11_key(module: str, token_label: str, key_label: str, pin: str) -> Pkcs11Signer:
    """Generate an Ed25519 key pair inside the token (not extractable) and return its signer."""
    pkcs11 = _pkcs11()
    from pkcs11.util.ec import encode_named_curve_parameters

    signer_token = pkcs11.lib(module).get_token(token_label=token_label)
    with signer_token.open(user_pin=pin, rw=True) as session:
        params = session.create_domain_parameters(
            pkcs11.KeyType.EC_EDWARDS, {pkcs11.Attribute.EC_PARAMS: encode_named_curve_parameters(ED25519_OID)},
            local=True)
        params.generate_keypair(store=True, label=key_label,
                                private_template={pkcs11.Attribute.EXTRACTABLE: False,
                                                  pkcs11.Attribute.SENSITIVE: True})
    return Pkcs11Signer(module, token_label, key_label, pin)


register_signer("pkcs11", lambda module, token_label, key_label, pin=None: Pkcs11Signer(
    module, token_label, key_label, pin))
