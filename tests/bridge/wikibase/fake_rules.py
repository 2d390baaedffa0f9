"""What a real Wikibase (MediaWiki 1.43, Wikibase REL1_43) refuses, normalises and throttles, for the fake.

Written from the MediaWiki and Wikibase sources: ``ApiMain`` (maxlag, ``Retry-After``, missing token),
``ApiErrorReporter`` (the ``messages`` list of Wikibase errors, ``dieStatus`` for ``failed-save`` and
``dieException`` for ``modification-failed``), ``EntitySavingHelper`` / ``RateLimitingIdGenerator``
(``no-automatic-entity-id``), ``LengthValidator`` and the validator messages of ``lib/i18n``, ``StringNormalizer``
(trim + NFC), ``ResultBuilder::addRevisionIdFromStatusToResult`` (``nochange``) and the default rate limits
(``$wgRateLimits['edit']['user'] = [90, 60]``, inherited by ``wikibase-idgenerator``). The exact JSON the fake
gives for each case is recorded in ``responses/`` and checked by ``test_fake_conformance.py``.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from bridge.dataspace import normalize

Json = dict[str, Any]

HELP = ("See {api} for API usage. Subscribe to the mediawiki-api-announce mailing list at "
        "&lt;https://lists.wikimedia.org/postorius/lists/mediawiki-api-announce.lists.wikimedia.org/&gt; "
        "for notice of API deprecations and breaking changes.")
THROTTLED = ("As an anti-abuse measure, you are limited from performing this action too many times in a short "
             "space of time, and you have exceeded this limit.\nPlease try again in a few minutes.")
VALUE_TYPES = {"wikibase-item": "wikibase-entityid", "wikibase-property": "wikibase-entityid", "string": "string",
               "external-id": "string", "url": "string", "quantity": "quantity",
               "monolingualtext": "monolingualtext"}


class ApiError(Exception):
    """An error envelope (``errorformat=bc``, the default) and the HTTP headers that go with it."""

    def __init__(self, code: str, info: str, messages: list[Json] | None = None,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(info)
        self.code, self.info, self.extra = code, info, extra
        self.messages = messages
        self.headers = headers or {}

    def body(self, api: str, servedby: str) -> Json:
        error: Json = {"code": self.code, "info": self.info, **self.extra}
        if self.messages is not None:
            error["messages"] = self.messages
        error["*"] = HELP.format(api=api)
        return {"error": error, "servedby": servedby}


def message(name: str, parameters: list[Any], text: str) -> Json:
    """One entry of a Wikibase error's ``messages`` (``ApiErrorReporter::convertMessageToResult``)."""
    return {"name": name, "parameters": parameters, "html": {"*": text}}


def _short(value: str) -> str:
    """Long values in validator messages are cut for display (``Language::truncateForVisual``)."""
    return value if len(value) <= 32 else value[:29] + "..."


def modification_failed(name: str, parameters: list[Any], text: str) -> ApiError:
    """A refused change op: ``dieException`` with the localised validator message (one message, info = its text)."""
    return ApiError("modification-failed", text, [message(name, parameters, text)])


def failed_save(name: str, parameters: list[Any], text: str) -> ApiError:
    """A refused save: ``dieStatus(…, 'failed-save')`` (the generic message first, then the cause)."""
    return ApiError("failed-save", "The save has failed.",
                    [message("wikibase-api-failed-save", [], "The save has failed."), message(name, parameters, text)])


def throttled_save() -> ApiError:
    return failed_save("actionthrottledtext", [], THROTTLED)


def throttled_create() -> ApiError:
    info = f"Cannot automatically assign ID: {THROTTLED}"
    return ApiError("no-automatic-entity-id", info, [message("wikibase-api-no-automatic-entity-id", [info], info)])


def missing_token() -> ApiError:
    return ApiError("missingparam", "The \"token\" parameter must be set.")


def maxlag(lag: int, maxlag_param: int) -> ApiError:
    """``ApiMain::checkMaxLag``: Retry-After is the client's maxlag, at least 5 seconds."""
    return ApiError("maxlag", f"Waiting for 10.0.0.1: {lag} seconds lagged.",
                    headers={"Retry-After": str(max(maxlag_param, 5)), "X-Database-Lag": str(lag)},
                    host="10.0.0.1", lag=lag, type="db")


def edit_conflict() -> ApiError:
    return ApiError("editconflict", "Edit conflict, could not patch the current revision",
                    [message("wikibase-api-editconflict", [], "Edit conflict, could not patch the current revision"),
                     message("edit-conflict", [], "Edit conflict.")])


# --- terms and values -------------------------------------------------------------------------------------------

def check_terms(entity: Json) -> None:
    """Length of labels and descriptions, and label ≠ description in one language (``TermValidatorFactory``)."""
    for part, name, what in (("labels", "wikibase-validator-label-too-long", "Label"),
                             ("descriptions", "wikibase-validator-description-too-long", "Description")):
        for term in entity.get(part, {}).values():
            if len(term["value"]) > normalize.TERM_MAX:
                raise modification_failed(name, [str(normalize.TERM_MAX), _short(term["value"])],
                                          f"{what} must be no more than {normalize.TERM_MAX} characters long")
    for lang, label in entity.get("labels", {}).items():
        desc = entity.get("descriptions", {}).get(lang)
        if desc is not None and desc["value"] == label["value"]:
            raise modification_failed("wikibase-validator-label-equals-description", [lang],
                                      f"Label and description for language code {lang} can not have the same value.")


def normalise_snak(snak: Json) -> None:
    """Trim + NFC for string-like values, a signed amount for quantities (in place)."""
    dv = snak.get("datavalue") or {}
    value = dv.get("value")
    if dv.get("type") == "string" and isinstance(value, str):
        dv["value"] = normalize.text(value)
    elif dv.get("type") == "monolingualtext" and isinstance(value, dict):
        value["text"] = normalize.text(str(value.get("text", "")))
    elif dv.get("type") == "quantity" and isinstance(value, dict):
        raw = str(value.get("amount", ""))
        value["amount"] = raw if raw[:1] in "+-" else "+" + raw
        value.setdefault("unit", "1")


def check_snak(snak: Json, datatype: str, exists: Any) -> None:
    """The value matches the property's datatype, within the limits, and links an existing entity."""
    if snak.get("snaktype", "value") != "value":
        return
    dv = snak.get("datavalue") or {}
    expected = VALUE_TYPES.get(datatype, datatype)
    if dv.get("type") != expected:
        raise modification_failed("wikibase-validator-bad-value-type", [dv.get("type"), expected],
                                  f"Bad value type {dv.get('type')}, expected {expected}")
    value = dv.get("value")
    if expected == "wikibase-entityid" and isinstance(value, dict):
        eid = str(value.get("id") or f"Q{value.get('numeric-id')}")
        if not exists(eid):
            raise modification_failed("wikibase-validator-no-such-entity", [eid], f"Entity {eid} not found")
        return
    if expected not in ("string", "monolingualtext"):
        return
    text = value.get("text", "") if isinstance(value, dict) else value
    if not isinstance(text, str):
        return
    limit = normalize.URL_MAX if datatype == "url" else normalize.STRING_MAX
    if not text:
        raise modification_failed("wikibase-validator-too-short", ["1", ""], "Must be at least 1 character long")
    if len(text) > limit:
        raise modification_failed("wikibase-validator-too-long", [str(limit), _short(text)],
                                  f"Must be no more than {limit} characters long")
    if datatype == "url":
        scheme = normalize.url_scheme(text)
        if scheme is None:
            raise modification_failed("wikibase-validator-url-scheme-missing", [text],
                                      f"The URL \"{text}\" has no scheme, such as \"https://\".")
        if scheme not in normalize.URL_SCHEMES:
            raise modification_failed("wikibase-validator-bad-url-scheme", [scheme],
                                      f"Unsupported URL scheme: {scheme}.")


# --- rate limits --------------------------------------------------------------------------------------------------

class FakeClock:
    """Time that only moves when someone sleeps: shared by the fake and the client, so a 60 s window costs 0 s."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.t = start
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += max(0.0, seconds)


class RealClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass
class RateLimiter:
    """``User::pingLimiter`` for one action: at most ``hits`` in any ``seconds`` window, per user."""

    hits: int
    seconds: float
    seen: dict[str, deque[float]] = field(default_factory=dict)

    def ping(self, user: str, now: float) -> bool:
        """True (throttled) when the user is over the limit; a refused attempt is not counted."""
        window = self.seen.setdefault(user, deque())
        while window and window[0] <= now - self.seconds:
            window.popleft()
        if len(window) >= self.hits:
            return True
        window.append(now)
        return False
