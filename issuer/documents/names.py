"""The one rule for a person's name, shared by the API, the CLI, the web forms, the award pipeline and the pool.

A name is printed on certificates, in page titles and in PDFs, so it may hold any letters, marks, digits,
punctuation and spaces of any script, but no control characters (NUL, BEL, line breaks, tabs) and no invisible
formatting characters: a right-to-left override would make "Ada \u202eexe.live\u202c" read as something else.
Where a person types the name (API, CLI, forms) such names are refused with the reason; only surrounding spaces
are trimmed and the text is put in Unicode NFC form. Where an LMS sends it with a grade, refusing would lose the
grade, so :func:`strip_name` removes those characters and the caller logs that it did. The joiners ZWJ and ZWNJ
stay allowed (Persian, Indic scripts and emoji need them).
"""

from __future__ import annotations

import unicodedata

from issuer.errors import IssuerError

MAX_NAME_LENGTH = 300
ALLOWED_FORMAT = frozenset({"\u200c", "\u200d"})  # zero-width non-joiner and joiner
REFUSED_CATEGORIES = {
    "Cc": "a control character",
    "Cf": "an invisible formatting character (such as a text-direction override)",
    "Cs": "a broken character (surrogate)",
    "Co": "a private-use character",
    "Cn": "an unassigned character",
    "Zl": "a line break",
    "Zp": "a paragraph break",
}


def name_problem(value: str, max_length: int = MAX_NAME_LENGTH) -> str | None:
    """What is wrong with ``value`` as a person's name (English), or None."""
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        return "the name is empty"
    if len(text) > max_length:
        return f"the name is {len(text)} characters long; at most {max_length} are allowed"
    for position, char in enumerate(text, start=1):
        category = unicodedata.category(char)
        if category in REFUSED_CATEGORIES and char not in ALLOWED_FORMAT:
            return (f"the name contains {REFUSED_CATEGORIES[category]} (U+{ord(char):04X}) at position {position}; "
                    "type the name again without it")
    return None


def clean_name(value: str, what: str = "the learner's name", max_length: int = MAX_NAME_LENGTH) -> str:
    """The name trimmed and in NFC form, or an IssuerError (422) saying what is wrong and where."""
    problem = name_problem(value, max_length)
    if problem:
        raise IssuerError(f"{what}: {problem}", code="invalid_name", status=422)
    return unicodedata.normalize("NFC", value).strip()


def strip_name(value: str, max_length: int = MAX_NAME_LENGTH) -> tuple[str, str | None]:
    """For names a machine sends (an LMS's grade events), where refusing would lose the grade: the name without
    the characters :func:`name_problem` refuses, cut to ``max_length``, and what was changed (None if nothing)."""
    text = unicodedata.normalize("NFC", value).strip()
    if name_problem(text, max_length) is None:
        return text, None
    spaced = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)  # line breaks
    kept = "".join(c for c in spaced if unicodedata.category(c) not in REFUSED_CATEGORIES or c in ALLOWED_FORMAT)
    kept = " ".join(kept.split())[:max_length].strip()
    return kept, (f"characters removed from the name (control or formatting characters, or past {max_length} "
                  "characters)")
