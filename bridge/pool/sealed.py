"""Text only this installation can read back: AES-GCM under a key derived from ``LEADS_SECRET_KEY`` per purpose,
with associated data that must match. A CapX token kept in the database and a sign-in state a browser carries to
the wiki and back are both sealed this way; a changed secret key or other associated data reads back as nothing."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bridge.settings import Settings


def _key(settings: Settings, purpose: str) -> bytes:
    return hashlib.sha256(f"leads/{purpose}/".encode() + settings.secret_key.get_secret_value().encode()).digest()


def seal(settings: Settings, purpose: str, plain: str, aad: bytes) -> str:
    """``plain`` sealed, as URL-safe base64 (12 bytes of nonce, then the ciphertext and its tag)."""
    nonce = os.urandom(12)
    return base64.urlsafe_b64encode(nonce + AESGCM(_key(settings, purpose)).encrypt(nonce, plain.encode(), aad)
                                    ).decode()


def unseal(settings: Settings, purpose: str, sealed: str, aad: bytes) -> str | None:
    """What ``seal`` sealed with this purpose and associated data; None for anything else (padding optional)."""
    try:
        raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
        return AESGCM(_key(settings, purpose)).decrypt(raw[:12], raw[12:], aad).decode()
    except (InvalidTag, ValueError, binascii.Error):
        return None
