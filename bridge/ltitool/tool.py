"""One LTI tool per application: key ring (reloaded when rotated), stores, HTTP client, registration key."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from starlette.requests import Request

from bridge.db import Database
from bridge.ltitool.store import SqlLaunchDataStore, SqlToolConfigStore
from bridge.settings import Settings
from lti.keys import FileKeyStore, KeyRing, ensure_keys
from lti.launch import ToolContext
from lti.outbound import tls_context
from lti.services import TokenCache


def key_dir(settings: Settings) -> Path:
    return settings.data_dir / "lti-keys"


def key_store(settings: Settings) -> FileKeyStore:
    """The tool's key files, encrypted with LEADS_KEY_PASSPHRASE when it is set (production requires it)."""
    secret = settings.key_passphrase
    return FileKeyStore(key_dir(settings), secret.get_secret_value() if secret else None)


class KeyRingProvider:
    """The key ring from the data directory, re-read when ``leads lti rotate-key`` rewrote the manifest."""

    def __init__(self, store: FileKeyStore) -> None:
        self.store = store
        self._ring = ensure_keys(store)
        self._mtime = self._manifest_mtime()
        self._lock = threading.Lock()

    def _manifest_mtime(self) -> float:
        try:
            return (self.store.directory / "manifest.json").stat().st_mtime
        except OSError:
            return 0.0

    def __call__(self) -> KeyRing:
        mtime = self._manifest_mtime()
        if mtime != self._mtime:
            with self._lock:
                self._ring, self._mtime = ensure_keys(self.store), mtime
        return self._ring


def platform_client(settings: Settings) -> httpx.Client:
    """The HTTP client for every call to a platform, verifying with the configured trust (``docs/lti-setup.md``)."""
    return httpx.Client(timeout=10.0, headers={"User-Agent": settings.user_agent},
                        verify=tls_context(settings.ca_bundle, settings.trust_system_store))


def registration_key(settings: Settings) -> str:
    """The key a dynamic-registration URL must carry, derived from the secret key (stable, not the secret)."""
    digest = hmac.new(settings.secret_key.get_secret_value().encode(), b"leads-lti-dynamic-registration",
                      hashlib.sha256).hexdigest()
    return digest[:32]


def registration_url(settings: Settings) -> str:
    return f"{settings.base_url.rstrip('/')}/lti/register?key={registration_key(settings)}"


LaunchListener = Callable[[Request, dict[str, Any]], None]


class LtiTool:
    def __init__(self, settings: Settings, db: Database, http: httpx.Client | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings, self.db = settings, db
        self.keys = KeyRingProvider(key_store(settings))
        self.config = SqlToolConfigStore(db)
        self.store = SqlLaunchDataStore(db, clock)
        self.http = http or platform_client(settings)
        self.tokens = TokenCache()
        self.context = ToolContext(self.config, self.store, self.keys, self.http, clock)
        #: Called with every valid launch (the award pipeline records who launched); set by the composition root.
        self.launch_listeners: list[LaunchListener] = []

    def close(self) -> None:
        self.http.close()
