"""Where a list shown a page at a time goes on: the sort key of the last row shown, carried in the next link.

Keyset paging (``WHERE (sort key) > (last one shown)`` on an index) costs the same on page 1 and page 2,000, and a
row added meanwhile neither repeats nor skips one. The position travels in a URL, so it is checked like any other
input: a changed or cut link is a 422 that says what to do, never a 500 or a database error.
"""

from __future__ import annotations

import base64
import binascii
import json

from bridge.errors import LeadsError

Value = str | int
MAX_TEXT = 300  # the longest text column a position may hold (names, ids, timestamps)
MAX_INT = 2**31  # what an integer column holds on every back-end


def write(*values: Value) -> str:
    """The position after a row, as URL-safe text."""
    raw = json.dumps(list(values), ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read(token: str, *kinds: type[str] | type[int]) -> tuple[Value, ...]:
    """The values of a position ``write`` made, each of the kind given; anything else is refused."""
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if isinstance(values, list) and len(values) == len(kinds) and all(map(_fits, values, kinds)):
            return tuple(values)
    except (ValueError, TypeError, binascii.Error):
        pass
    raise changed()


def changed() -> LeadsError:
    """The refusal of a position that is not one ``write`` made (also for a value that reads but cannot be one)."""
    return LeadsError("this link to a further page of results is not one LEADS made (it was changed or cut short): "
                      "start again from the first page", code="invalid_cursor", status=422)


def _fits(value: object, kind: type[str] | type[int]) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool) and 0 < value < MAX_INT
    return isinstance(value, str) and len(value) <= MAX_TEXT and "\x00" not in value
