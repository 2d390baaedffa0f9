"""Turns domain errors into responses: JSON for API clients, an HTML page for people."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import fastapi.routing
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from bridge.db import outage
from bridge.errors import LeadsError, Problem, filled
from bridge.i18n import gettext_for
from bridge.web.negotiate import request_lang, templates, wants_json
from bridge.web.nul import NUL_CHARACTER

log = logging.getLogger("leads.web")
_n = str  # marks msgids for extraction; translated by render_error

INVALID_REQUEST = _n("The request is not valid")
#: where a request's invalid part sits (pydantic's first location), and what is wrong with it, for people
WHERE = {"path": _n("In the address"), "query": _n("In the address"), "body": _n("In the form"),
         "header": _n("In the request's headers"), "cookie": _n("In the browser's cookies")}
IN_THE_REQUEST = _n("In the request")
MISSING = _n("“%(field)s” is missing.")
NOT_A_NUMBER = _n("“%(value)s” should be a number.")
TOO_LONG = _n("“%(field)s” is longer than %(limit)s characters.")
NOT_ACCEPTED = _n("“%(value)s” is not accepted here.")
NUMBER_TYPES = frozenset({"int_parsing", "int_type", "int_from_float", "float_parsing", "float_type"})
DATABASE_LOST = _n("LEADS lost its connection to its database for a moment. Try again in a few seconds.")
DATABASE_UNREACHABLE = _n("LEADS cannot reach its database right now. Try again in a minute.")
DATABASE_BUSY = _n("LEADS is very busy right now. Try again in a few seconds.")
#: each kind of ``bridge.db.outage``: log level, what the log says, the error code, the sentence people read
AWAY = {
    "lost": (logging.WARNING, "database connection lost", "database_unavailable", DATABASE_LOST),
    "refused": (logging.ERROR, "the database refused a new connection (if it says too many connections, see "
                "'Connections and threads per process' in docs/deploy.md)", "database_unavailable",
                DATABASE_UNREACHABLE),
    "busy": (logging.WARNING, "no free database connection within the pool's wait", "database_busy", DATABASE_BUSY),
    "conflict": (logging.WARNING, "the database ended a transaction that collided with another (a deadlock or a "
                 "serialization failure); that transaction was rolled back", "database_busy", DATABASE_BUSY),
}


def shown(text: str, english: str, lang: str) -> Markup:
    """A message for a page in ``lang``: a sentence no catalogue translated stays English, marked as English (so a
    screen reader reads it as English and the page's own text stays all in its language)."""
    if language_of(text, english, lang) != lang:
        return Markup('<span lang="en">{}</span>').format(text)
    return Markup.escape(text)


def language_of(text: str, english: str, lang: str) -> str:
    """The language ``text`` is in, on a page in ``lang``: English when it is still the English sentence."""
    return "en" if lang != "en" and text == english else lang


def said(exc: Exception, gettext: Callable[[str], str]) -> str:
    """An error's sentence through ``gettext``: a domain error's template filled (``LeadsError.said``), another
    package's error (issuer, lti) looked up as it stands."""
    if isinstance(exc, LeadsError):
        return exc.said(gettext)
    return gettext(str(getattr(exc, "message", exc)))


def spoken(exc: LeadsError, lang: str) -> Markup:
    """A domain error's message for a page in ``lang`` (its template translated and filled, see ``LeadsError``)."""
    return shown(exc.said(gettext_for(lang).gettext), exc.message, lang)


def kept_shown(template: str | None, params: dict[str, Any] | None, english: str, lang: str) -> Markup:
    """A kept error (a job's, stored as its template and values) for a page in ``lang``."""
    text = filled(gettext_for(lang).gettext, template, params, english) if template else english
    return shown(text, english, lang)


def problem_text(problem: Problem, lang: str) -> tuple[str, str]:
    """A problem's sentence for a page in ``lang``, and the language it is in (English where none is catalogued)."""
    text = problem.said(gettext_for(lang).gettext)
    return text, language_of(text, str(problem), lang)


def problem_shown(problem: Problem, lang: str) -> Markup:
    return shown(problem.said(gettext_for(lang).gettext), str(problem), lang)


def render_error(request: Request, status: int, body: dict[str, Any], headers: dict[str, str] | None = None,
                 said: Callable[[Callable[[str], str]], str] | None = None,
                 details: Callable[[Callable[[str], str]], list[str]] | None = None) -> Response:
    """An error as JSON for API clients (English) and as the HTML error page for people (shared by the LTI frames);
    ``said`` words the message in the page's language (``LeadsError.said``), else it is looked up as it stands;
    ``details`` words the problems for people, in place of the API's list (which names internal fields)."""
    if wants_json(request) or request.url.path.startswith("/api/"):
        return JSONResponse(body, status_code=status, headers=headers)

    lang = request_lang(request)
    english = str(body.get("message", ""))
    gettext = gettext_for(lang).gettext
    message = shown(said(gettext) if said else gettext(english), english, lang)
    return templates.TemplateResponse(request, "error.html", {"status": status, "body": body, "message": message,
                                                              "details": details(gettext) if details else None},
                                      status_code=status, headers=headers)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else "" if value is None else str(value)
    return text if len(text) <= 60 else text[:59] + "…"


def problem_lines(errors: Any, gettext: Callable[[str], str]) -> list[str]:
    """pydantic's refusals as sentences: where (the address, the form) and what is wrong, with the value sent."""
    lines = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ())]
        where = gettext(WHERE.get(loc[0], IN_THE_REQUEST) if loc else IN_THE_REQUEST)
        field, kind = (loc[-1] if len(loc) > 1 else ""), e.get("type", "")
        if kind == "missing":
            what = gettext(MISSING) % {"field": field}
        elif kind in NUMBER_TYPES:
            what = gettext(NOT_A_NUMBER) % {"value": _short(e.get("input"))}
        elif kind == "string_too_long":
            what = gettext(TOO_LONG) % {"field": field, "limit": (e.get("ctx") or {}).get("max_length", "")}
        else:
            what = gettext(NOT_ACCEPTED) % {"value": _short(e.get("input"))}
        lines.append(f"{where}: {what}")
    return lines


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LeadsError)
    async def _leads_error(request: Request, exc: LeadsError) -> Response:
        log.info("refused %s %s: %s (%s)", request.method, request.url.path, exc.code, exc.status)
        return render_error(request, exc.status, exc.as_dict(), getattr(exc, "headers", None), said=exc.said)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """Routing errors (no such address, method not allowed) in the same shape as every other error; a 405
        lists every method the address answers, not only those of the first route that matched it."""
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request.app, request.url.path))
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message = {404: f"nothing at {request.url.path}",
                   405: f"{request.method} is not allowed at {request.url.path}; use {headers.get('Allow')}"}
        body = {"error": code, "message": message.get(exc.status_code, str(exc.detail))}
        return render_error(request, exc.status_code, body, headers or None)

    from sqlalchemy.exc import DataError, DBAPIError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    async def _database_away(request: Request, exc: Exception) -> Response:
        """The database away for a moment (``bridge.db.outage``: a connection lost in use, a new one refused — down,
        starting, or full — none free in the pool's wait, or a transaction ended to resolve a deadlock) is a 503
        with ``Retry-After``, where a 500 would say LEADS is broken; the log tells the operator which. Any other
        database error stays a server error."""
        kind = outage(exc)
        if kind is None:
            raise exc
        level, said, code, message = AWAY[kind]
        log.log(level, "%s during %s %s: %s", said, request.method, request.url.path, getattr(exc, "orig", exc))
        return render_error(request, 503, {"error": code, "message": message}, {"Retry-After": "5"})

    app.add_exception_handler(DBAPIError, _database_away)
    app.add_exception_handler(PoolTimeout, _database_away)

    @app.exception_handler(DataError)
    async def _data_error(request: Request, exc: DataError) -> Response:
        """PostgreSQL refuses a NUL character in any text value; one in a body (the request bounds read only the
        address, see bridge.web.nul) is the sender's mistake, not a server error. Nothing was stored: the
        transaction rolled back. Any other data error is a server error, as before."""
        if "NUL (0x00)" not in str(exc.orig):
            raise exc
        log.info("refused %s %s: a NUL character reached the database", request.method, request.url.path)
        return render_error(request, 422, {"error": "nul_character", "message": NUL_CHARACTER})

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {"entity": "request", "property": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
            for e in exc.errors()
        ]
        body = {"error": "invalid_request", "message": INVALID_REQUEST, "problems": problems}
        return render_error(request, 422, body, details=lambda gettext: problem_lines(exc.errors(), gettext))


def flat_routes(app: Any) -> list[Any]:
    """Every route with its full path (FastAPI keeps included routers as nested entries of ``app.routes``)."""
    flatten = getattr(fastapi.routing, "_iter_included_route_candidates", None)
    return list(flatten(app.routes)) if flatten else list(app.routes)


def allowed_methods(app: Any, path: str) -> list[str]:
    """Every method some route answers at ``path`` (HEAD wherever GET works, see bridge.web.headers.HeadAsGet)."""
    methods: set[str] = set()
    routes = flat_routes(app)
    if any(getattr(route, "path", None) == path for route in routes):  # a literal path wins over templates
        routes = [route for route in routes if getattr(route, "path", None) == path]
    for route in routes:
        regex, route_methods = getattr(route, "path_regex", None), getattr(route, "methods", None)
        if regex is not None and route_methods and regex.match(path):
            methods |= set(route_methods)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def register_error_type(app: FastAPI, exc_type: type[Exception]) -> None:
    """Other packages (issuer, lti) keep their own error base with ``code`` and ``status``; render it the same."""

    async def _handler(request: Request, exc: Exception) -> Response:
        status = int(getattr(exc, "status", 400))
        body = {"error": getattr(exc, "code", "error"), "message": str(exc)}
        extra = getattr(exc, "as_dict", None)
        if callable(extra):
            body = extra()
        return render_error(request, status, body) if status != 0 else HTMLResponse(str(exc))

    app.add_exception_handler(exc_type, _handler)
