"""JSON from strangers, parsed with a nesting limit: 3,000 nested arrays must be a clear refusal, not a
``RecursionError`` deep inside the parser (or later, in whatever walks the result)."""

from __future__ import annotations

import json
import re
from typing import Any

from issuer.errors import IssuerError

MAX_DEPTH = 64  # credentials nest about ten levels; nothing LEADS reads needs more than a few dozen

_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_TOKENS_TEXT = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


class JsonTooDeep(IssuerError):
    def __init__(self, limit: int = MAX_DEPTH) -> None:
        super().__init__(f"the JSON is nested more than {limit} levels deep; a credential needs far fewer",
                         code="json_too_deep", status=400)


def depth_exceeds(data: bytes | str, limit: int = MAX_DEPTH) -> bool:
    """True when brackets outside strings nest deeper than ``limit`` (a scan, no parse; exact for valid JSON)."""
    depth = 0
    pattern = _TOKENS if isinstance(data, bytes) else _TOKENS_TEXT
    for match in pattern.finditer(data):  # type: ignore[arg-type]
        token = match.group()
        if token in (b"[", b"{", "[", "{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}", "]", "}"):
            depth -= 1
    return False


def loads(data: bytes | str, limit: int = MAX_DEPTH) -> Any:
    """``json.loads`` that raises JsonTooDeep (status 400) instead of recursing without bound."""
    if depth_exceeds(data, limit):
        raise JsonTooDeep(limit)
    try:
        return json.loads(data)
    except RecursionError:
        raise JsonTooDeep(limit) from None
