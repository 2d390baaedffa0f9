"""This installation's status lists: where they are served and when a signed copy is fresh enough to hand out.

No database and no ORM here: the stored records (``records.py``) and ``leads verify``'s direct reader of the
embedded SQLite file (``bridge/cli/sqlite_records.py``) apply the same rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

STATUS_LIST_VALIDITY = timedelta(days=1)  # a re-signed list is valid for a day; verifiers refetch well before
RESIGN_BEFORE = timedelta(hours=1)  # a signed list with less than this left (or of an older version) is re-signed


def status_url(base_url: str, list_id: str) -> str:
    return f"{base_url.rstrip('/')}/status/{list_id}"


def local_status_list_id(base_url: str, url: str) -> str | None:
    """The id of one of this installation's status lists from its URL; None for anyone else's."""
    prefix = f"{base_url.rstrip('/')}/status/"
    return url[len(prefix):] if url.startswith(prefix) else None


def still_valid(document: Mapping[str, Any], now: datetime) -> bool:
    """The signed list is valid for at least ``RESIGN_BEFORE`` more (no ``validUntil``: valid; one that cannot be
    read, or without a time zone: not, so it is signed again rather than trusted)."""
    raw = document.get("validUntil")
    if raw is None:
        return True
    try:
        until = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return False
    return until.tzinfo is not None and until > now + RESIGN_BEFORE


def signed_is_fresh(signed: Mapping[str, Any] | None, version: int, signed_version: int, now: datetime) -> bool:
    """The signed list credential may be served as it is: it is of the list's current version and valid for a while."""
    return signed is not None and signed_version == version and still_valid(signed, now)
