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
    """``<dir>/manifest.json`` lists kids in order (active first); ``<dir>/<kid>.pem`` holds each private key."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def load(self) -> KeyRing | None:
        manifest = self.directory / "manifest.json"
        if not manifest.exists():
            return None
        try:
            entries = json.loads(manifest.read_text(encoding="utf-8"))["keys"]
            keys = tuple(ToolKey(kid=e["kid"], created=e["created"],
                                 private_pem=(self.directory / f"{e['kid']}.pem").read_text(encoding="ascii"))
                         for e in entries)
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
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w", encoding="ascii") as fh:
                    fh.write(key.private_pem)
        tmp = self.directory / "manifest.json.tmp"
        tmp.write_text(json.dumps({"keys": [{"kid": k.kid, "created": k.created} for k in ring.keys]}, indent=1),
                       encoding="utf-8")
        tmp.replace(self.directory / "manifest.json")  # atomic: readers see the old or the new ring, never half


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
