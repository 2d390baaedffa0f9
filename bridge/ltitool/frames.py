"""The LTI tool's own small pages (client-side storage, cookie recovery, relay, registration) in the visitor's
language, and LTI errors rendered with a translated wording. Scripts are static files under ``/static/lti``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from bridge.errors import filled
from bridge.i18n import environment, gettext_for, request_lang
from bridge.web.errors import render_error
from lti.errors import LtiError
from lti.outbound import MESSAGES

PAGES = ("storage_put", "storage_get", "recover", "relay", "registered")


def render_page(request: Request, name: str, data: dict[str, Any]) -> Response:
    """``templates/lti/frame_<name>.html`` with ``data`` as the JSON its script ``/static/lti/<name>.js`` reads."""
    if name not in PAGES:
        raise ValueError(f"no LTI page {name!r}")
    lang = request_lang(request)
    template = environment(lang).get_template(f"lti/frame_{name}.html")
    return HTMLResponse(template.render(lang=lang, data=data, script=name.replace("_", "-")))


def translated(exc: LtiError, lang: str) -> str:
    """The error's wording in ``lang``: its template's, else its message's when catalogued (the literal messages of
    ``lti`` are extracted), else its English message."""
    if lang == "en":
        return exc.message
    say = gettext_for(lang).gettext  # not ``_``: the parameter lookups below are no messages to extract
    if exc.template is None:
        return say(exc.message)
    params = {**exc.params}
    if isinstance(params.get("what"), str):
        params["what"] = say(params["what"])
    return filled(say, MESSAGES.get(exc.template, exc.template), params, exc.message)


def install_error_handler(app: FastAPI) -> None:
    async def _lti_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LtiError)
        return render_error(request, exc.status, exc.as_dict(), said=lambda _: translated(exc, request_lang(request)))

    app.add_exception_handler(LtiError, _lti_error)
