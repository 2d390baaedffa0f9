"""Content negotiation: the same URL answers HTML for people and JSON for programs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.background import BackgroundTask

from bridge.i18n import COOKIE, environment, negotiate
from bridge.i18n.ui import ui


def request_lang(request: Request) -> str:
    """The page language: ``?lang=``, then the language chosen earlier (cookie), then Accept-Language."""
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"),
                     request.cookies.get(COOKIE))


def switch_url(request: Request, lang: str, path: str | None = None) -> str:
    """The same page in ``lang``: every query parameter kept, ``lang`` replaced."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return f"{path or request.url.path}?{urlencode([*params, ('lang', lang)])}"


class LocalizedTemplates:
    """Renders a page in the request's language: gettext (``{% trans %}``, ``_()``), the data-space wording
    (``ui``), the language switch (``switch``) and ``qs`` (``?lang=xx`` for links that must carry the choice
    inside an LMS frame, where the cookie may be dropped)."""

    def TemplateResponse(self, request: Request, name: str, context: Mapping[str, Any] | None = None,
                         status_code: int = 200, headers: Mapping[str, str] | None = None,
                         background: BackgroundTask | None = None) -> HTMLResponse:
        given = {k: v for k, v in (context or {}).items() if k not in ("_", "t")}  # the language's own gettext
        lang = given.get("lang") or request_lang(request)
        switch_path = given.pop("switch_path", None)
        if switch_path is None and request.method not in ("GET", "HEAD"):  # a link cannot repeat a POST:
            from bridge.web.errors import allowed_methods  # the switch opens the form's page, or the home page

            switch_path = request.url.path if "GET" in allowed_methods(request.app, request.url.path) else "/"
        values: dict[str, Any] = {
            "request": request, "lang": lang, "ui": ui(lang),
            "qs": f"?lang={lang}" if request.query_params.get("lang") else "",
            "switch": {code: switch_url(request, code, switch_path) for code in ("en", "es")},
        }
        values.update(given)
        values["t"] = environment(lang).globals["gettext"]
        html = environment(lang).get_template(name).render(values)
        return HTMLResponse(html, status_code=status_code, headers=dict(headers or {}), background=background)


templates = LocalizedTemplates()


def wants_json(request: Request) -> bool:
    """JSON when the client prefers it (``Accept: application/json`` or ``?format=json``)."""
    if request.query_params.get("format") == "json":
        return True
    accept = request.headers.get("accept", "")
    if not accept:
        return False
    best_html = accept_quality(accept, ("text/html", "application/xhtml+xml"))
    best_json = accept_quality(accept, ("application/json", "application/ld+json"))
    return best_json > best_html


def weighted(header: str) -> list[tuple[str, float]]:
    """The items of an Accept or Accept-Language header with their q values, in header order (lower-cased)."""
    items = []
    for part in header.split(","):
        token, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if token.strip():
            items.append((token.strip().lower(), q))
    return items


def accept_quality(accept: str, types: tuple[str, ...]) -> float:
    """The highest q the Accept header gives any of ``types`` (0 when none is acceptable)."""
    return max((q for media, q in weighted(accept) if media in types), default=0.0)
