"""What the public read routes serve, kept as ready bytes: a signed credential never changes once stored (only its
status does, in the status lists), so ``GET /credentials/{id}`` answers from memory after the first read; a signed
status list changes on every revocation, so it is kept a few seconds only (``STATUS_LIST_SECONDS``; when it expires
one request reads it afresh while the others still get the expired copy, for the few milliseconds that takes) and
dropped at once by the process that changed it. Both caches are bounded (entries and bytes) and safe across threads: the
async routes read them on the event loop and fill them from the threadpool.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.responses import Response

DOCUMENT_ENTRIES = 20_000  # per process; a credential is 3–15 KB, so at most about 100 MB …
DOCUMENT_BYTES = 64 * 1024 * 1024  # … and never more than this
DOCUMENT_MAX_AGE = 3600  # seconds an HTTP cache may keep a credential (it never changes; the URL may become 404)
STATUS_LIST_ENTRIES = 1_000
STATUS_LIST_BYTES = 32 * 1024 * 1024
STATUS_LIST_SECONDS = 5.0  # how late another process sees a revocation (the process that revoked sees it at once)


@dataclass(frozen=True)
class Served:
    """One answer's body with its media type and strong ETag (a digest of the bytes)."""

    body: bytes
    media_type: str
    etag: str

    @classmethod
    def of(cls, body: bytes, media_type: str) -> Served:
        return cls(body, media_type, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')

    def response(self, if_none_match: str, headers: dict[str, str]) -> Response:
        """200 with the body, or 304 when the client already holds these bytes (RFC 9110 §13.1.2)."""
        from starlette.responses import Response  # the web layer's class, loaded by the routes (not by `leads verify`)

        headers = {"ETag": self.etag, **headers}
        if self.etag in (t.strip() for t in if_none_match.split(",")) or if_none_match.strip() == "*":
            return Response(status_code=304, headers=headers)
        return Response(self.body, media_type=self.media_type, headers=headers)


def json_bytes(document: Any) -> bytes:
    """Exactly Starlette's ``JSONResponse.render``, so cached and uncached answers are byte-identical (a test
    compares them)."""
    return json.dumps(document, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode("utf-8")


class BoundedBytes:
    """A least-recently-used map of ``Served`` answers, bounded in entries and in bytes, optionally expiring.

    ``ticket`` / ``put`` guard against a reader that read the database before a change and stores after the
    change's ``drop``: its ``put`` is ignored, so a dropped entry cannot come back stale.
    """

    def __init__(self, max_entries: int, max_bytes: int, ttl: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_entries, self.max_bytes, self.ttl, self.clock = max_entries, max_bytes, ttl, clock
        self._items: OrderedDict[str, tuple[float, Served]] = OrderedDict()
        self._size = 0
        self._generation = 0
        self._refreshing: dict[str, float] = {}  # expired keys one caller is reading afresh, since when
        self._lock = threading.Lock()

    def get(self, key: str) -> Served | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None
            if self.ttl is not None and self.clock() - hit[0] > self.ttl:
                self._remove(key)
                return None
            self._items.move_to_end(key)
            return hit[1]

    def lookup(self, key: str) -> tuple[Served | None, bool]:
        """``(answer, False)`` when kept and fresh; when expired, ``(None, True)`` to the first caller, who reads it
        afresh, and the expired answer to the others meanwhile (for at most one more ``ttl``), so that an expiry
        sends one request to the database, not every concurrent one; ``(None, True)`` when not kept."""
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None, True
            now = self.clock()
            if self.ttl is None or now - hit[0] <= self.ttl:
                self._items.move_to_end(key)
                return hit[1], False
            began = self._refreshing.get(key)
            if began is not None and now - began <= self.ttl:
                return hit[1], False
            self._refreshing[key] = now
            return None, True

    def ticket(self) -> int:
        """Taken before reading what will be ``put``."""
        with self._lock:
            return self._generation

    def put(self, key: str, value: Served, ticket: int) -> None:
        if len(value.body) > self.max_bytes // 4:
            return  # one huge answer must not empty the cache
        with self._lock:
            if ticket != self._generation:
                return  # something was dropped since the read began: that read may be stale
            self._remove(key)
            self._refreshing.pop(key, None)
            self._items[key] = (self.clock(), value)
            self._size += len(value.body)
            while len(self._items) > self.max_entries or self._size > self.max_bytes:
                self._remove(next(iter(self._items)))

    def drop(self, key: str) -> None:
        with self._lock:
            self._generation += 1
            self._refreshing.pop(key, None)
            self._remove(key)

    def __len__(self) -> int:
        return len(self._items)

    def _remove(self, key: str) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self._size -= len(old[1].body)
