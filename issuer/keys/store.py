"""Signing keys kept as files in the data directory: generated at first use, mode 0600, optionally encrypted.

Layout of ``directory``: one PKCS#8 PEM per key (``<key_id>.pem``, encrypted with the passphrase when one is set) and
``keys.json`` listing every key with its creation time and which one is active. Rotation adds a key and makes it
active; earlier keys stay listed so that DID documents keep their verification methods and earlier credentials
still verify. A key id is the key's own publicKeyMultibase, so it never changes.

A key may live outside the directory (a PKCS#11 token, a KMS): its entry names the signer back-end and its
configuration (``backend``, ``config``; no secret is written — PINs come from ``backend_secrets``) and there is
no PEM. Retiring a key (a compromise) keeps its entry with ``retired`` and the reason: DID documents keep it as a
verification method but no longer authorise it for ``assertionMethod`` (decision 025).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from issuer.errors import KeyError_
from issuer.keys.signer import Ed25519Signer, Signer, make_signer, register_signer

INDEX = "keys.json"


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class KeyRecord:
    """A key as a DID document needs it: id, public key, when it was made, and whether it signs new credentials."""

    key_id: str
    public_key_multibase: str
    created: str
    active: bool
    retired: str | None = None  # when it was retired (ISO time); a retired key signs nothing and is not authorised
    retired_reason: str | None = None
    backend: str = "file"  # "file" (a PEM here) or a signer back-end such as "pkcs11"
    encrypted: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "public_key_multibase": self.public_key_multibase,
            "created": self.created,
            "active": self.active,
            "retired": self.retired,
            "retired_reason": self.retired_reason,
            "backend": self.backend,
            "encrypted": self.encrypted,
        }


class FileKeyStore:
    """A key ring in one directory (one per issuing organisation)."""

    def __init__(self, directory: Path | str, passphrase: str | bytes | None = None,
                 backend_secrets: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.directory = Path(directory)
        if isinstance(passphrase, str):
            passphrase = passphrase.encode("utf-8")
        self._passphrase = passphrase or None
        self._backend_secrets = dict(backend_secrets or {})
        self._signers: dict[str, Signer] = {}

    # -- public API -------------------------------------------------------------------------------------------

    def active(self) -> Signer:
        """The key that signs new credentials; generated on first use."""
        with self._locked():
            index = self._read_index()
            if not index["keys"]:
                index = self._add_key(index)
            return self._load(str(index["active"]))

    def rotate(self) -> Signer:
        """Generate a new active key; earlier keys stay listed (and keep verifying)."""
        with self._locked():
            index = self._add_key(self._read_index())
            return self._load(str(index["active"]))

    def keys(self) -> list[KeyRecord]:
        """Every key, oldest first, for DID documents (generates the first key if there is none yet). Reads the
        index only: a DID document needs the public keys, not the private one (nor its passphrase or token)."""
        with self._locked():
            index = self._read_index()
            if not index["keys"]:
                index = self._add_key(index)
        return [
            KeyRecord(k["key_id"], k["public_key_multibase"], k["created"], k["key_id"] == index["active"],
                      k.get("retired"), k.get("retired_reason"), k.get("backend", "file"), bool(k.get("encrypted")))
            for k in index["keys"]
        ]

    def add_external(self, backend: str, config: Mapping[str, Any]) -> Signer:
        """Make a key held by a signer back-end (e.g. ``pkcs11``: module, token_label, key_label) the active key.
        ``config`` is written to ``keys.json``: it must hold no secret (a PIN goes in ``backend_secrets``)."""
        signer = make_signer(backend, **config, **self._backend_secrets.get(backend, {}))
        if signer.algorithm != "Ed25519":
            raise KeyError_(f"the {backend} key is {signer.algorithm}; LEADS signs with Ed25519", status=400)
        with self._locked():
            index = self._read_index()
            if signer.key_id in {k["key_id"] for k in index["keys"]}:
                raise KeyError_(f"key {signer.key_id} is already in {self.directory}", status=409)
            index["keys"].append({"key_id": signer.key_id, "public_key_multibase": signer.public_key_multibase,
                                  "created": _now(), "backend": backend, "config": dict(config)})
            index["active"] = signer.key_id
            self._write_private(self.directory / INDEX, json.dumps(index, indent=2).encode("utf-8"))
            self._signers[signer.key_id] = signer
        return signer

    def retire(self, key_id: str, reason: str) -> KeyRecord:
        """Retire a key (e.g. it was stolen): it signs nothing more and DID documents stop authorising it; when it
        was the active key, a new key is generated first. Retiring twice keeps the first date and reason."""
        if not reason.strip():
            raise KeyError_("say why the key is retired (the reason is kept with it)", status=422)
        with self._locked():
            index = self._read_index()
            record = next((k for k in index["keys"] if k["key_id"] == key_id), None)
            if record is None:
                raise KeyError_(f"No key {key_id!r} in {self.directory}", status=404)
            if not record.get("retired"):
                if index["active"] == key_id:
                    self._add_key(index)  # a new active key first (it updates ``index`` in place)
                record["retired"], record["retired_reason"] = _now(), reason.strip()
                self._write_private(self.directory / INDEX, json.dumps(index, indent=2).encode("utf-8"))
        return next(k for k in self.keys() if k.key_id == key_id)

    def signer(self, key_id: str) -> Signer:
        """A signer for a given (possibly retired) key."""
        with self._locked():
            if key_id not in {k["key_id"] for k in self._read_index()["keys"]}:
                raise KeyError_(f"No key {key_id!r} in {self.directory}", status=404)
            return self._load(key_id)

    def encrypt(self) -> int:
        """Encrypt every key file still kept in the clear with this store's passphrase; the number encrypted."""
        if not self._passphrase:
            raise KeyError_("Encrypting the keys needs a passphrase (LEADS_KEY_PASSPHRASE)", status=400)
        from cryptography.hazmat.primitives import serialization  # deferred: only private-key files need it

        done = 0
        with self._locked():
            index = self._read_index()
            for record in index["keys"]:
                if record.get("encrypted") or record.get("backend", "file") != "file":
                    continue
                path = self.directory / f"{record['key_id']}.pem"
                try:
                    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
                except (OSError, TypeError, ValueError) as exc:
                    raise KeyError_(f"Cannot read key file {path}: {exc}", status=500) from None
                pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.BestAvailableEncryption(self._passphrase))
                self._write_private(path, pem)
                record["encrypted"] = True
                done += 1
            if done:
                self._write_private(self.directory / INDEX, json.dumps(index, indent=2).encode("utf-8"))
        return done

    # -- files ------------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _read_index(self) -> dict[str, Any]:
        path = self.directory / INDEX
        if not path.exists():
            return {"active": None, "keys": []}
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data

    def _write_private(self, path: Path, data: bytes) -> None:
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)

    def _add_key(self, index: dict[str, Any]) -> dict[str, Any]:
        from cryptography.hazmat.primitives import serialization  # deferred: only private-key files need it

        key = Ed25519PrivateKey.generate()
        signer = Ed25519Signer(key)
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(self._passphrase)
            if self._passphrase
            else serialization.NoEncryption()
        )
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
        self._write_private(self.directory / f"{signer.key_id}.pem", pem)
        created = _now()
        index["keys"].append(
            {"key_id": signer.key_id, "public_key_multibase": signer.public_key_multibase, "created": created,
             "encrypted": bool(self._passphrase)}
        )
        index["active"] = signer.key_id
        self._write_private(self.directory / INDEX, json.dumps(index, indent=2).encode("utf-8"))
        self._signers[signer.key_id] = signer
        return index

    def _load(self, key_id: str) -> Signer:
        cached = self._signers.get(key_id)
        if cached is not None:
            return cached
        record: dict[str, Any] = next((k for k in self._read_index()["keys"] if k["key_id"] == key_id), {})
        backend = record.get("backend", "file")
        if backend != "file":
            external = make_signer(backend, **record.get("config", {}), **self._backend_secrets.get(backend, {}))
            if external.public_key_multibase != key_id:
                raise KeyError_(f"the {backend} key configured for {key_id} holds a different key", status=500)
            self._signers[key_id] = external
            return external
        from cryptography.hazmat.primitives import serialization  # deferred: only private-key files need it

        path = self.directory / f"{key_id}.pem"
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=self._passphrase)
        except FileNotFoundError:
            raise KeyError_(f"Key file {path} is missing; restore it from a backup", status=500) from None
        except (TypeError, ValueError) as exc:
            raise KeyError_(
                f"Cannot read key file {path}: {exc}. If the key is encrypted, set the right passphrase "
                "(LEADS_KEY_PASSPHRASE); if it is not, unset it.",
                status=500,
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyError_(f"Key file {path} does not hold an Ed25519 key", status=500)
        signer = Ed25519Signer(key, key_id)
        if signer.public_key_multibase != key_id:
            raise KeyError_(f"Key file {path} holds a different key than its name says", status=500)
        self._signers[key_id] = signer
        return signer


register_signer("file", lambda directory, passphrase=None: FileKeyStore(directory, passphrase).active())
