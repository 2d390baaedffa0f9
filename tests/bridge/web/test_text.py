"""One meaning of "blank" for the schema's pattern and the services' check: what one refuses, the other refuses
(schemathesis found a reason of "\\x1d" valid by the schema's ``\\S`` and refused by ``str.strip``)."""

from __future__ import annotations

import re
import sys

import pytest
from pydantic import BaseModel, Field, ValidationError

from bridge.web.text import NOT_BLANK, blank

# ECMA-262 WhiteSpace and LineTerminator (what ``\s`` means in a JSON Schema pattern)
ECMA_SPACE = "\t\n\v\f\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029" \
    "\u202f\u205f\u3000\ufeff"


def test_every_whitespace_of_python_and_ecma_is_blank_and_nothing_else() -> None:
    python_space = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    for ch in python_space | set(ECMA_SPACE):
        assert blank(ch * 3), repr(ch)
    assert not blank("\u200b")  # zero-width space: whitespace for none of them
    assert not blank(" \x1d key leaked ")
    assert blank("") and not blank("x")


class Reason(BaseModel):
    reason: str = Field(pattern=NOT_BLANK)


@pytest.mark.parametrize("text", ["\x1d", "\x85 ", "\ufeff", " \t"])
def test_pydantic_and_python_regex_read_the_pattern_alike(text: str) -> None:
    assert re.search(NOT_BLANK, text) is None
    with pytest.raises(ValidationError):
        Reason(reason=text)
    assert Reason(reason=text + "lost key").reason.endswith("lost key")
