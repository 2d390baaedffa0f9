"""Tool signing keys: generated on first use, rotated with the previous key kept in the JWKS, kid = RFC 7638 thumbprint.

Keys live as PEM files beside a small manifest so that every process reading the same directory signs with the
same active key; the kid is derived from the public key, so it never changes for a given key.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from joserfc.jwk import RSAKey

from lti.errors import LtiError

ALG = "RS256"


@dataclass(frozen=True)
class ToolKey:
    kid: str
    private_pem: str
    created: str

    @property
    def public_jwk(self) -> dict[str, Any]:
        return {**_public(self.private_pem)[0], "kid": self.kid, "alg": ALG, "use": "sig"}

    @property
    def public_pem(self) -> str:
        return _public(self.private_pem)[1]


@lru_cache(maxsize=16)
def _public(private_pem: str) -> tuple[dict[str, Any], str]:
    """Loading an RSA private key checks it (tens of ms): do it once per key, not per request."""
    key = RSAKey.import_key(private_pem)
    return key.as_dict(private=False), key.as_pem(private=False).decode("ascii")


@dataclass(frozen=True)
class KeyRing:
    """The active key signs; the others (at most one previous key) only stay published for verifiers."""

    keys: tuple[ToolKey, ...]

    @property
    def active(self) -> ToolKey:
        return self.keys[0]

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        return {"keys": [k.public_jwk for k in self.keys]}


class KeyStore(Protocol):
    def load(self) -> KeyRing | None: ...

    def save(self, ring: KeyRing) -> None: ...

    def lock(self) -> AbstractContextManager[None]:
        """Held while a ring is created or rotated, so that processes starting together agree on one key."""


def new_key(now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> ToolKey:
    key = RSAKey.generate_key(2048)
    return ToolKey(kid=key.thumbprint(), private_pem=key.as_pem(private=True).decode("ascii"),
                   created=now().isoformat())


class FileKeyStore:
    """``<dir>/manifest.json`` lists kids in order (active first); ``<dir>/<kid>.pem`` holds each private key,
    encrypted with the passphrase when one is given (the manifest says which files are)."""

    def __init__(self, directory: Path, passphrase: str | None = None) -> None:
        self.directory = directory
        self._passphrase = passphrase.encode("utf-8") if passphrase else None

    def _read_pem(self, entry: dict[str, Any]) -> str:
        data = (self.directory / f"{entry['kid']}.pem").read_bytes()
        if not entry.get("encrypted"):
            return data.decode("ascii")
        if not self._passphrase:
            raise ValueError("the key file is encrypted and no passphrase is set (LEADS_KEY_PASSPHRASE)")
        key = serialization.load_pem_private_key(data, password=self._passphrase)
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode("ascii")

    def _file_pem(self, key: ToolKey) -> bytes:
        if not self._passphrase:
            return key.private_pem.encode("ascii")
        loaded = serialization.load_pem_private_key(key.private_pem.encode("ascii"), password=None)
        return loaded.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.BestAvailableEncryption(self._passphrase))

    def _entries(self) -> list[dict[str, Any]]:
        manifest = self.directory / "manifest.json"
        if not manifest.exists():
            return []
        entries: list[dict[str, Any]] = json.loads(manifest.read_text(encoding="utf-8"))["keys"]
        return entries

    def encrypt(self) -> int:
        """Rewrite the key files kept in the clear encrypted with the passphrase; the number rewritten."""
        if not self._passphrase:
            raise LtiError("encrypting the keys needs a passphrase (LEADS_KEY_PASSPHRASE)", code="no_passphrase")
        with self.lock():
            ring, entries = self.load(), self._entries()
            plain = [e for e in entries if not e.get("encrypted")]
            if ring is None or not plain:
                return 0
            for key in ring.keys:
                if any(e["kid"] == key.kid for e in plain):
                    self._write(self.directory / f"{key.kid}.pem", self._file_pem(key), replace=True)
            self._write_manifest(ring, now_encrypted={e["kid"] for e in plain})
        return len(plain)

    def _write(self, path: Path, data: bytes, replace: bool = False) -> None:
        if replace:
            tmp = path.with_name(path.name + ".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            tmp.replace(path)
            return
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)

    def _write_manifest(self, ring: KeyRing, now_encrypted: frozenset[str] | set[str] = frozenset()) -> None:
        encrypted = {e["kid"]: bool(e.get("encrypted")) or e["kid"] in now_encrypted for e in self._entries()}
        tmp = self.directory / "manifest.json.tmp"
        tmp.write_text(json.dumps({"keys": [{"kid": k.kid, "created": k.created,
                                             "encrypted": encrypted.get(k.kid, self._passphrase is not None)}
                                            for k in ring.keys]}, indent=1), encoding="utf-8")
        tmp.replace(self.directory / "manifest.json")  # atomic: readers see the old or the new ring, never half

    def load(self) -> KeyRing | None:
        if not (self.directory / "manifest.json").exists():
            return None
        try:
            keys = tuple(ToolKey(kid=e["kid"], created=e["created"], private_pem=self._read_pem(e))
                         for e in self._entries())
        except (OSError, KeyError, TypeError, ValueError) as exc:
            raise LtiError(f"the tool key store {self.directory} is unreadable ({exc}); restore it from a backup "
                           "or move it away to generate new keys", code="key_store_unreadable", status=500) from exc
        return KeyRing(keys) if keys else None

    @contextmanager
    def lock(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(self.directory / ".lock", "w", encoding="ascii") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def save(self, ring: KeyRing) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        for key in ring.keys:
            path = self.directory / f"{key.kid}.pem"
            if not path.exists():
                self._write(path, self._file_pem(key))
        self._write_manifest(ring)


def ensure_keys(store: KeyStore) -> KeyRing:
    """The stored ring, or a new one with a freshly generated key (first start)."""
    ring = store.load()
    if ring is not None:
        return ring
    with store.lock():
        ring = store.load()  # another process may have made it while we waited
        if ring is None:
            ring = KeyRing((new_key(),))
            store.save(ring)
    return ring


def rotate(store: KeyStore) -> KeyRing:
    """A new active key; the previous active key stays published so tokens it signed still verify."""
    with store.lock():
        current = store.load() or KeyRing((new_key(),))
        ring = KeyRing((new_key(), current.active))
        store.save(ring)
    return ring
