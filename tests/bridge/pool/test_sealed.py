"""Sealed text reads back only under the same secret key, purpose and associated data; CapX tokens sealed before
the helper was shared (``v1:`` + padded base64 under ``leads/capx-token/``) still read back."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

from bridge.pool import capx, sealed
from bridge.settings import Settings


def _settings(tmp_path: Path, secret: str) -> Settings:
    return Settings(data_dir=tmp_path, load_sample=False, secret_key=SecretStr(secret))


def test_sealed_text_needs_the_same_key_purpose_and_associated_data(tmp_path: Path) -> None:
    one, other = _settings(tmp_path, "a" * 40), _settings(tmp_path, "b" * 40)
    text = sealed.seal(one, "wiki-login-state", "1|2|verifier", b"browser-1")
    assert sealed.unseal(one, "wiki-login-state", text, b"browser-1") == "1|2|verifier"
    assert sealed.unseal(one, "wiki-login-state", text.rstrip("="), b"browser-1") == "1|2|verifier"
    assert sealed.unseal(one, "wiki-login-state", text, b"browser-2") is None
    assert sealed.unseal(one, "capx-token", text, b"browser-1") is None
    assert sealed.unseal(other, "wiki-login-state", text, b"browser-1") is None
    assert sealed.unseal(one, "wiki-login-state", "not base64 at all!", b"browser-1") is None


def test_a_capx_token_sealed_the_earlier_way_still_reads_back(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "c" * 40)
    key = hashlib.sha256(b"leads/capx-token/" + ("c" * 40).encode()).digest()
    nonce = os.urandom(12)
    stored = "v1:" + base64.urlsafe_b64encode(nonce + AESGCM(key).encrypt(nonce, b"capx-token-123", b"capx")).decode()
    assert capx.unseal(settings, stored) == "capx-token-123"
    assert capx.unseal(settings, capx.seal(settings, "t")) == "t" and capx.unseal(settings, None) is None
