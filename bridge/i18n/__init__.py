"""Gettext catalogues for the certificate page, PDF and verification page (English source, Spanish catalogue).

Catalogues live in ``bridge/i18n/locale/<lang>/LC_MESSAGES/certificates.po``; the compiled ``.mo`` beside it is
committed so a fresh checkout needs no build step (a test fails when the two drift). Add a language by copying
``es`` and running ``uv run python -m bridge.i18n compile``.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from babel.support import Translations
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request

#: Package data, found through importlib.resources so an installed wheel serves what the source tree does (an
#: installed wheel is unpacked, so these are directories on disk; fonts and .mo files are opened by path).
LOCALE_DIR = Path(str(resources.files("bridge") / "i18n" / "locale"))
DOMAIN = "certificates"
LANGUAGES = ("en", "es")
DEFAULT = "en"
TEMPLATES_DIR = Path(str(resources.files("bridge") / "templates"))


COOKIE = "leads_lang"  # set by bridge.web.language when a page is opened with ?lang=, so the choice sticks


def negotiate(query_lang: str | None, accept_language: str | None, cookie: str | None = None) -> str:
    """``?lang=`` wins, then the language chosen earlier (cookie), then the best ``Accept-Language`` entry we
    speak, then English."""
    for chosen in (query_lang, cookie):
        if chosen and chosen.split("-")[0].lower() in LANGUAGES:
            return chosen.split("-")[0].lower()
    ranked: list[tuple[float, str]] = []
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((q, tag.split("-")[0].lower()))
    for _q, tag in sorted(ranked, key=lambda r: -r[0]):
        if tag in LANGUAGES:
            return tag
    return DEFAULT


@lru_cache(maxsize=8)
def translations(lang: str) -> gettext.NullTranslations:
    if lang == DEFAULT:
        return gettext.NullTranslations()
    found = Translations.load(str(LOCALE_DIR), [lang], DOMAIN)
    return found


def _parse(text: str) -> datetime | None:
    """An ISO date or moment as stored in JSON (``…Z`` accepted); None when it is not one."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def longdate(value: date | datetime | str | None, lang: str) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        parsed = _parse(value)
        if parsed is None:
            return value
        value = parsed
    return format_date(value.date() if isinstance(value, datetime) else value, format="long", locale=lang)


def longdatetime(value: datetime | str | None, lang: str) -> str:
    """A moment as people read it (“3 December 2026, 13:45 UTC”), ISO strings accepted."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        parsed = _parse(value)
        if parsed is None:
            return value
        value = parsed
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    when = f"{format_date(value.date(), format='long', locale=lang)}, {format_time(value, 'HH:mm', locale=lang)}"
    return f"{when} UTC" if value.tzinfo is not None else when


def language_name(code: str | None, lang: str) -> str:
    """``es`` as people read it in ``lang`` (“Spanish”, “español”); the code itself when unknown."""
    if not code:
        return ""
    try:
        return str(Locale.parse(lang).languages.get(code.split("-")[0].lower(), code))
    except (ValueError, TypeError):
        return code


def number(value: float | int | None, lang: str) -> str:
    """A number with the language's decimal sign (12.5 / 12,5)."""
    return "" if value is None else format_decimal(value, locale=lang)


@lru_cache(maxsize=8)
def environment(lang: str) -> Environment:
    """A Jinja2 environment per language (gettext installed once; safe to share across threads)."""
    env = Environment(
        loader=PackageLoader("bridge", "templates"),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["longdate"] = longdate
    env.filters["number"] = lambda value: number(value, lang)
    env.filters["language_name"] = language_name
    env.filters["datetime"] = lambda value: longdatetime(value, lang)
    return env


def gettext_for(lang: str) -> gettext.NullTranslations:
    """For Python code (the PDF, check explanations): ``gettext_for(lang).gettext("…")``."""
    return translations(lang)


def request_lang(request: Request) -> str:
    """The page language of a request: ``?lang=`` first, then Accept-Language, then English."""
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


def gettext_for_request(request: Request) -> Callable[[str], str]:
    """``_`` for a template: ``?lang=`` first, then the language chosen earlier (cookie), then Accept-Language."""
    lang = negotiate(request.query_params.get("lang"), request.headers.get("accept-language"),
                     request.cookies.get(COOKIE))
    return translations(lang).gettext
