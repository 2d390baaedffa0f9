"""Registry files from configured paths or URLs: loaded on first use, refreshed on a schedule, cached on disk,
and usable offline from the last good copy.

Each source keeps its entries in memory. A lookup refreshes a source whose copy is older than the refresh interval
(``LEADS_TRUST_REFRESH_SECONDS``); a failed refresh keeps the copy it has (or, after a restart, the last good copy
from ``<data_dir>/cache/trust``) and tries again after ``RETRY_SECONDS``, so an outage at a registry's host neither
empties the registry nor makes every verification wait for it. URLs are fetched with the function the verifier
hands in (the same outbound client as DID documents and status lists).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bridge.errors import LeadsError
from bridge.settings import RegistrySource
from bridge.trust.registry import RegistryEntry, parse_registry

log = logging.getLogger("leads.trust")
Fetch = Callable[[str], bytes]
RETRY_SECONDS = 300.0


@dataclass
class SourceState:
    source: RegistrySource
    entries: dict[str, RegistryEntry] = field(default_factory=dict)
    loaded_at: float | None = None  # when the copy in use was fetched (epoch seconds)
    attempted_at: float | None = None
    error: str | None = None
    from_cache: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.source.name, "url": self.source.url, "issuers": len(self.entries),
                "loaded_at": self.loaded_at, "from_cache": self.from_cache, "error": self.error}


def _is_url(location: str) -> bool:
    return location.startswith(("https://", "http://"))


class RegistrySources:
    """The configured registries in order of authority; thread-safe (the web app verifies in a threadpool)."""

    def __init__(self, sources: Sequence[RegistrySource], cache_dir: Path, *, refresh_seconds: float,
                 fetch: Fetch, now: Callable[[], float] = time.time) -> None:
        self.states = [SourceState(s) for s in sources]
        self.cache_dir = cache_dir
        self.refresh_seconds = refresh_seconds
        self.fetch = fetch
        self.now = now
        self._lock = threading.Lock()

    def _cache_file(self, source: RegistrySource) -> Path:
        return self.cache_dir / (hashlib.sha256(source.url.encode()).hexdigest()[:32] + ".json")

    def _read(self, source: RegistrySource) -> Any:
        location = source.url
        if _is_url(location):
            raw = self.fetch(location)
        else:
            path = Path(location.removeprefix("file://"))
            try:
                raw = path.read_bytes()
            except OSError as exc:
                raise LeadsError("the issuer registry file %(path)s cannot be read (%(strerror)s)",
                                 code="registry_unavailable", status=502,
                                 params={"path": path, "strerror": exc.strerror}) from None
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise LeadsError("the issuer registry %(location)s is not JSON (%(exc)s)", code="registry_format",
                             status=422, params={"location": location, "exc": exc}) from None

    def _load(self, state: SourceState, *, force: bool) -> None:
        if state.source.type != "dcc-legacy" or not state.source.url:
            state.error = (f"not read: LEADS reads registries of type dcc-legacy with a url, not "
                           f"{state.source.type!r}" + ("" if state.source.url else " without a url"))
            return
        now = self.now()
        if state.loaded_at is None and state.attempted_at is None:
            self._from_cache(state)  # first use: the last good copy, so a restart needs no network
        fresh = state.loaded_at is not None and now - state.loaded_at < self.refresh_seconds
        retry_wait = state.error is not None and state.attempted_at is not None \
            and now - state.attempted_at < RETRY_SECONDS
        if not force and (fresh or retry_wait):
            return
        state.attempted_at = now
        try:
            data = self._read(state.source)
            state.entries = parse_registry(data, source=state.source.name)
        except Exception as exc:  # any failure keeps the copy in use; the message says what happened
            state.error = exc.message if isinstance(exc, LeadsError) else f"{type(exc).__name__}: {exc}"
            log.warning("issuer registry %s not refreshed (%s); keeping the last good copy (%d issuers)",
                        state.source.name, state.error, len(state.entries))
            return
        state.loaded_at, state.error, state.from_cache = now, None, False
        self._write_cache(state.source, data, now)

    def _write_cache(self, source: RegistrySource, data: Any, fetched_at: float) -> None:
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            target = self._cache_file(source)
            tmp = target.with_suffix(".tmp")
            tmp.write_text(json.dumps({"url": source.url, "fetched_at": fetched_at, "body": data}), encoding="utf-8")
            tmp.replace(target)
        except OSError as exc:
            log.warning("cannot cache the issuer registry %s: %s", source.name, exc)

    def _from_cache(self, state: SourceState) -> None:
        path = self._cache_file(state.source)
        try:
            cached = json.loads(path.read_text(encoding="utf-8"))
            state.entries = parse_registry(cached["body"], source=state.source.name)
            state.loaded_at, state.from_cache = float(cached["fetched_at"]), True
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError, LeadsError) as exc:
            log.warning("ignoring the damaged cached copy %s of %s: %s", path, state.source.name, exc)

    def lookup(self, did: str) -> RegistryEntry | None:
        """The entry of the most authoritative registry that lists ``did`` (refreshing stale registries first)."""
        with self._lock:
            for state in self.states:
                self._load(state, force=False)
            for state in self.states:
                if did in state.entries:
                    return state.entries[did]
        return None

    def refresh(self) -> list[SourceState]:
        """Fetch every registry now (``leads issuers refresh``, the admin API); returns each one's state."""
        with self._lock:
            for state in self.states:
                self._load(state, force=True)
            return list(self.states)

    def status(self) -> list[SourceState]:
        with self._lock:
            for state in self.states:
                self._load(state, force=False)
            return list(self.states)
