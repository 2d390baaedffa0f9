"""Refusals sent by middleware before any route runs (too large, too deep, too many): JSON for programs, a short
page in the reader's language for people. Routes never see these requests, so the usual error handlers cannot."""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.requests import cookie_parser
from starlette.types import Scope, Send

from bridge.i18n import COOKIE, environment, gettext_for, negotiate
from bridge.web.negotiate import accept_quality


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""


def language(scope: Scope) -> str:
    """``?lang=``, then (for a page) the language chosen earlier, its cookie, then Accept-Language, as pages do; a
    JSON answer ignores the cookie, as the API's own answers do."""
    query = dict(p.partition("=")[::2] for p in scope.get("query_string", b"").decode("latin-1").split("&") if p)
    cookies = {} if _wants_json(scope) else cookie_parser(_header(scope, b"cookie"))
    return negotiate(query.get("lang"), _header(scope, b"accept-language"), cookies.get(COOKIE))


_n = str  # msgids the page translates
#: Where a refused person goes next, by the path refused: back to what she was doing (the first prefix that fits).
NEXT_STEPS = (("/pool", "/pool", _n("Find collaborators")), ("/edit", "/edit", _n("Back to the editor")),
              ("/map", "/map", _n("My map")), ("", "/verify", _n("Verify a credential")))


def next_step(scope: Scope) -> tuple[str, str]:
    """(address, words) of the refusal page's one link."""
    path = str(scope.get("path", ""))
    return next((href, words) for prefix, href, words in NEXT_STEPS if path.startswith(prefix))


WALLET_PATHS = ("/oid4vci/",)  # the OpenID4VCI endpoints: wallets read JSON errors, never pages


def _wants_json(scope: Scope) -> bool:
    if str(scope.get("path", "")).startswith(("/api/", *WALLET_PATHS)):
        return True
    accept = _header(scope, b"accept")
    return bool(accept) and accept_quality(accept, ("application/json",)) > accept_quality(accept, ("text/html",))


def translate(scope: Scope, message: str, **values: object) -> str:
    return gettext_for(language(scope)).gettext(message) % values if values else \
        gettext_for(language(scope)).gettext(message)


async def refuse(scope: Scope, send: Send, status: int, code: str, message: str, hint: str = "",
                 headers: Mapping[str, str] | None = None, problems: list[dict[str, str]] | None = None) -> None:
    """Send the whole refusal; ``message`` and ``hint`` are already in the reader's language; ``problems`` (where
    the input is wrong, as the routes' own 422 answers list them) go to programs."""
    lang = language(scope)
    if _wants_json(scope):
        answer: dict[str, object] = {"error": code, "message": f"{message} {hint}".strip()}
        if str(scope.get("path", "")).startswith(WALLET_PATHS):  # as OAuth 2.0 (RFC 6749 §5.2) words an error
            answer["error_description"] = answer["message"]
        if problems:
            answer["problems"] = problems
        body = json.dumps(answer, ensure_ascii=False).encode()
        media = "application/json"
    else:
        href, words = next_step(scope)
        html = environment(lang).get_template("refused.html").render(
            lang=lang, message=message, hint=hint, next_href=href + (f"?lang={lang}" if lang != "en" else ""),
            next_words=words)
        body = html.encode("utf-8")
        media = "text/html; charset=utf-8"
    raw = [(b"content-type", media.encode()), (b"content-length", str(len(body)).encode()),
           (b"content-language", lang.encode()), (b"connection", b"close")]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
