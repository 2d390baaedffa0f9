"""The nesting limit on JSON from strangers: known answers at the edge, and the bracket scan against a plain
tokenizer (the reference: one token at a time, a depth counter) on generated JSON with brackets and escaped quotes
inside its strings."""

from __future__ import annotations

import json
import random
import re

import pytest

from issuer import jsonbound
from issuer.jsonbound import JsonTooDeep, depth_exceeds

_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
LEAVES = ['"a[b"', '"\\"]"', "1", '"\\\\"', '"{x}"', "null", '"\\\\\\"{"', "[]", "{}", '"\\u005b"']


def reference(text: str, limit: int) -> bool:
    depth = 0
    for token in _TOKENS.findall(text):
        if token in "[{":
            depth += 1
            if depth > limit:
                return True
        elif token in "]}":
            depth -= 1
    return False


def spine(rng: random.Random, depth: int) -> str:
    """JSON ``depth`` levels deep along one path, with leaves and shallow siblings beside it."""
    if depth == 0:
        return rng.choice(LEAVES)
    kids = [spine(rng, depth - 1)] + [rng.choice(LEAVES) for _ in range(rng.randint(0, 2))]
    rng.shuffle(kids)
    if rng.random() < 0.5:
        return "[" + ",".join(kids) + "]"
    return "{" + ",".join(f'"k{i}\\"[":{kid}' for i, kid in enumerate(kids)) + "}"


@pytest.mark.parametrize("kind", [bytes, str])
def test_the_limit_itself_passes_and_one_more_is_refused(kind: type) -> None:
    def nested(n: int) -> bytes | str:
        text = '{"a":' * (n - 1) + '["[{\\"", 1]' + "}" * (n - 1)
        return text.encode() if kind is bytes else text

    assert not depth_exceeds(nested(64))
    assert depth_exceeds(nested(65))
    assert not depth_exceeds(nested(3), limit=3)
    assert depth_exceeds(nested(4), limit=3)


def test_brackets_and_escaped_quotes_inside_strings_are_not_nesting() -> None:
    inside = json.dumps({"name": "[" * 200 + '\\"' + "{" * 200, "list": ["]" * 90]})
    assert not depth_exceeds(inside, limit=2)
    assert jsonbound.loads(inside)["list"] == ["]" * 90]


def test_3000_deep_balanced_or_cut_short_is_refused() -> None:
    assert depth_exceeds(b"[" * 3000 + b"]" * 3000)
    assert depth_exceeds(b"[" * 3000)  # never closed: a parser would nest as deep before failing
    assert not depth_exceeds(b"]" * 3000)
    with pytest.raises(JsonTooDeep):
        jsonbound.loads("[" * 3000)


def test_the_scan_agrees_with_a_plain_tokenizer() -> None:
    rng = random.Random(19)
    checked = 0
    for _ in range(1500):
        text = spine(rng, rng.randint(0, 80))
        json.loads(text)  # the generator writes valid JSON
        for limit in (3, 63, 64):
            expected = reference(text, limit)
            assert depth_exceeds(text, limit) is expected, (limit, text[:200])
            assert depth_exceeds(text.encode(), limit) is expected
            checked += 1
    assert checked == 4500
