"""JSON from strangers, parsed with a nesting limit: 3,000 nested arrays must be a clear refusal, not a
``RecursionError`` deep inside the parser (or later, in whatever walks the result)."""

from __future__ import annotations

import json
import re
from typing import Any

from issuer.errors import IssuerError

MAX_DEPTH = 64  # credentials nest about ten levels; nothing LEADS reads needs more than a few dozen

# a scan in C (the regex engine and bytes methods), not a Python loop over tokens: it runs on every JSON body a
# stranger sends, before the route (bridge/web/bounds.py), and a credential has hundreds of strings
_ESCAPES = re.compile(rb"\\.", re.S)
_STRINGS = re.compile(rb'"[^"]*"')
_NOT_BRACKETS = re.compile(rb"[^\[\]{}]+")
_ESCAPES_TEXT = re.compile(r"\\.", re.S)
_STRINGS_TEXT = re.compile(r'"[^"]*"')
_NOT_BRACKETS_TEXT = re.compile(r"[^\[\]{}]+")


class JsonTooDeep(IssuerError):
    def __init__(self, limit: int = MAX_DEPTH) -> None:
        super().__init__(f"the JSON is nested more than {limit} levels deep; a credential needs far fewer",
                         code="json_too_deep", status=400)


_SAME = bytes.maketrans(b"{}", b"[]")


def _brackets(data: bytes | str) -> bytes:
    """The brackets outside strings, all as ``[`` and ``]``: escapes go first (so ``\\"`` ends no string), then the
    strings, then everything else."""
    if isinstance(data, str):
        text = _NOT_BRACKETS_TEXT.sub("", _STRINGS_TEXT.sub("", _ESCAPES_TEXT.sub("", data)))
        return text.encode().translate(_SAME)
    return _NOT_BRACKETS.sub(b"", _STRINGS.sub(b"", _ESCAPES.sub(b"", data))).translate(_SAME)


def depth_exceeds(data: bytes | str, limit: int = MAX_DEPTH) -> bool:
    """True when brackets outside strings nest deeper than ``limit`` (a scan, no parse; exact for valid JSON).

    Each pass removes the innermost pairs (``[]``), so a pair left after ``limit`` passes sits deeper than that;
    more than ``limit`` brackets never closed (``[[[…``, cut short) would nest a parser as deep before it fails."""
    brackets = _brackets(data)
    for _ in range(limit):
        if b"[]" not in brackets:
            break
        brackets = brackets.replace(b"[]", b"")
    return b"[]" in brackets or brackets.count(b"[") > limit


def loads(data: bytes | str, limit: int = MAX_DEPTH) -> Any:
    """``json.loads`` that raises JsonTooDeep (status 400) instead of recursing without bound."""
    if depth_exceeds(data, limit):
        raise JsonTooDeep(limit)
    try:
        return json.loads(data)
    except RecursionError:
        raise JsonTooDeep(limit) from None
