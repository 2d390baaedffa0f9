"""What "blank" means, said once for the OpenAPI schema and for the Python check behind it.

A JSON Schema ``pattern`` is an ECMA-262 regex, pydantic checks ``pattern=`` with Rust's regex crate, and the
services used ``str.strip()``: three ideas of whitespace (``\\s`` in ECMA-262 leaves out U+001C–U+001F and U+0085,
which ``str.strip`` removes; Rust's leaves out U+FEFF). A reason of "\\x1d" matched the schema and was refused with
422. The character class below lists every whitespace character of the three, so each engine reads it alike.
"""

from __future__ import annotations

import re
from typing import Any

from bridge.errors import LeadsError

NOT_BLANK = r"[^\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
_NOT_BLANK = re.compile(NOT_BLANK)


def blank(text: str) -> bool:
    """True when ``text`` has no character the schema's ``NOT_BLANK`` pattern accepts."""
    return _NOT_BLANK.search(text) is None


NUL_FREE = r"^[^\u0000]*$"
#: The schema of a reason a person gives (for a revocation, a suspension, a retired key): not blank, and without a
#: NUL character (PostgreSQL refuses one in any text; refused on every back-end alike, and the document says so).
REASON_SCHEMA: dict[str, Any] = {"minLength": 1, "pattern": NOT_BLANK, "allOf": [{"pattern": NUL_FREE}]}


def check_reason(reason: str, missing: str) -> None:
    """A reason kept with a credential or an award: ``missing`` says what to give when it is blank."""
    if blank(reason):
        raise LeadsError(missing, code="reason_required", status=422)
    if "\x00" in reason:
        raise LeadsError("the reason contains a NUL character (U+0000), which cannot be kept: remove it and send it "
                         "again", code="invalid_reason", status=422)
