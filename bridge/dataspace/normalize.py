"""Text as Wikibase stores it, and the limits Wikibase enforces, so LEADS compares and checks what the wiki keeps.

Wikibase (REL1_43) trims white space and converts to Unicode NFC before it stores a label, description or string
value (``StringNormalizer::trimToNFC``), and stores a quantity amount as a signed decimal (``5`` becomes ``+5``).
A push that compared the raw text would see a difference on every run; a push that sent text over a limit would
be refused half-way through. Limits are the defaults of ``$wgWBRepoSettings['string-limits']``.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

#: Labels, descriptions and aliases ("multilang" terms), in characters (code points).
TERM_MAX = 250
#: String, external-id and monolingual-text values.
STRING_MAX = 400
#: URL values.
URL_MAX = 500
#: URL schemes a Wikibase accepts by default (``$wgWBRepoSettings['urlSchemes']``).
URL_SCHEMES = ("bzr", "cvs", "ftp", "git", "http", "https", "irc", "mailto", "ssh", "svn")

# PHP's trim() plus the Unicode spaces StringNormalizer strips (\p{Z} and the C0 control characters).
_EDGE = re.compile(r"^[\s\u0000-\u001f\u007f\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+|"
                   r"[\s\u0000-\u001f\u007f\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+$")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.IGNORECASE)


def text(value: str) -> str:
    """Trimmed and NFC-normalised, as Wikibase stores a term or a string value."""
    return unicodedata.normalize("NFC", _EDGE.sub("", value))


def amount(x: float | int | str | Decimal) -> str:
    """A quantity amount as Wikibase stores it: a signed decimal string, ``+5``, ``+0.5``, ``-2``."""
    d = Decimal(str(x))
    d = d.to_integral_value() if d == d.to_integral_value() else d.normalize()
    out = format(d, "f")
    return out if out.startswith("-") else "+" + out


def length(value: str) -> int:
    """Length as Wikibase measures it: code points of the normalised text (``mb_strlen``)."""
    return len(text(value))


def url_scheme(value: str) -> str | None:
    m = _SCHEME.match(text(value))
    return m[1].lower() if m else None
