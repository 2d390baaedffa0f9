"""Where a list shown a page at a time goes on: the sort key of the last row shown, carried in the next link.

Keyset paging (``WHERE (sort key) > (last one shown)`` on an index) costs the same on page 1 and page 2,000, and a
row added meanwhile neither repeats nor skips one. The position travels in a URL, so it is checked like any other
input: a changed or cut link is a 422 that says what to do, never a 500 or a database error.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from bridge.errors import LeadsError

Value = str | int | datetime
Kind = type[str] | type[int] | type[datetime]
MAX_TEXT = 1000  # the longest text a position may hold (names, ids, a platform's page query)
MAX_INT = 2**31  # what an integer column holds on every back-end
T = TypeVar("T")


def write(*values: Value) -> str:
    """The position after a row, as URL-safe text (a moment as ISO 8601, as the database gave it)."""
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps(plain, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cut(rows: Sequence[T], limit: int, key: Callable[[T], tuple[Value, ...]]) -> tuple[list[T], str | None]:
    """A page of ``rows`` read with ``LIMIT limit + 1`` (the one more says a next page exists), and the position of
    that next page: ``key`` of the last row shown; None on the last page."""
    page = list(rows[:limit])
    return page, (write(*key(page[-1])) if len(rows) > limit else None)


def read(token: str, *kinds: Kind) -> tuple[Value, ...]:
    """The values of a position ``write`` made, each of the kind given; anything else is refused."""
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if isinstance(values, list) and len(values) == len(kinds):
            return tuple(_value(v, k) for v, k in zip(values, kinds, strict=True))
    except (ValueError, TypeError, binascii.Error):
        pass
    raise changed()


def changed() -> LeadsError:
    """The refusal of a position that is not one ``write`` made."""
    return LeadsError("this link to a further page of results is not one LEADS made (it was changed or cut short): "
                      "start again from the first page", code="invalid_cursor", status=422)


def _value(value: object, kind: Kind) -> Value:
    if kind is int and isinstance(value, int) and not isinstance(value, bool) and 0 < value < MAX_INT:
        return value
    if isinstance(value, str) and len(value) <= MAX_TEXT and "\x00" not in value:
        if kind is str:
            return value
        if kind is datetime:
            return datetime.fromisoformat(value)  # a ValueError is refused as a changed position
    raise ValueError(value)
