"""The pool for learners on the web, outside any LMS: open a profile, publish the certificate PDF they have,
unpublish. Thin routes: the rules (holder proof, verification, tokens) stay in ``service`` and ``holding``.

A form that fails comes back with what the person typed and a plain sentence per problem; success says so. The wiki
user name is never typed here: it will come from "Sign in with Wikimedia" (OAuth), so nobody can claim another
editor's name.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bridge.db import Database
from bridge.errors import LeadsError
from bridge.i18n import gettext_for_request
from bridge.pool import service
from bridge.pool.search import LANGUAGE_CHOICES
from bridge.web.negotiate import templates
from bridge.web.params import RowId

router = APIRouter(tags=["pool"])


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _lang_qs(request: Request) -> str:
    lang = request.query_params.get("lang")
    return f"?lang={lang}" if lang in ("en", "es") else ""


def _new_form(request: Request, status: int = 200, **extra: Any) -> Response:
    context = {"form": {"handle": "", "display_name": "", "languages": [], "contact": ""}, "problems": {},
               "error_code": None, "choices": LANGUAGE_CHOICES, "_": gettext_for_request(request),
               "keep_days": request.app.state.settings.pool_keep_empty_days,
               "qs": _lang_qs(request), **extra}
    return templates.TemplateResponse(request, "pool/new_profile.html", context, status_code=status,
                                      headers={"Cache-Control": "no-store"})


@router.get("/pool/profiles/new", summary="Open a pool profile (form for people)")
def new_profile_form(request: Request) -> Response:
    return _new_form(request)


@router.post("/pool/profiles/new", summary="Open a pool profile; the management token is shown once",
             status_code=201, response_class=HTMLResponse,
             responses={201: {"description": "the profile is open: the page shows its management token once"}})
def new_profile(
    request: Request,
    handle: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    contact: Annotated[str, Form()] = "",
    languages: Annotated[list[str] | None, Form()] = None,
) -> Response:
    chosen = [code for code, _name in LANGUAGE_CHOICES if code in (languages or [])]
    form: dict[str, Any] = {"handle": handle.strip(), "display_name": display_name.strip(),
                            "contact": contact.strip(), "languages": chosen}
    try:
        profile, token = service.create_profile(_db(request), handle=handle.strip(),
                                                display_name=display_name.strip(), languages=chosen,
                                                contact=contact.strip() or None)
    except LeadsError as exc:
        problems = {p.property: p.message for p in exc.problems}
        if exc.code == "handle_taken":
            problems["handle"] = "taken"
        return _new_form(request, exc.status, form=form, problems=problems, error_code=exc.code)
    return templates.TemplateResponse(request, "pool/profile_created.html", {
        "handle": profile.handle, "token": token, "_": gettext_for_request(request), "qs": _lang_qs(request)},
        status_code=201, headers={"Cache-Control": "no-store"})


@router.post("/pool/people/{handle}/unpublish/{entry_id}", summary="Take a credential out of the pool (form)")
def unpublish_form(request: Request, handle: str, entry_id: RowId, token: Annotated[str, Form()] = "") -> Response:
    try:
        service.unpublish(_db(request), handle=handle, token=token.strip(), entry_id=entry_id)
    except LeadsError as exc:
        from bridge.pool.endpoints import profile_response

        return profile_response(request, handle, status=exc.status, unpublish_error=exc.code,
                                unpublish_entry=entry_id)
    sep = "&" if _lang_qs(request) else "?"
    return RedirectResponse(f"/pool/people/{handle}{_lang_qs(request)}{sep}done=unpublished", status_code=303)


@router.post("/pool/people/{handle}/delete", summary="Delete the profile and everything published on it (form)")
def delete_form(request: Request, handle: str, token: Annotated[str, Form()] = "",
                confirm: Annotated[str, Form()] = "") -> Response:
    try:
        service.delete_profile(_db(request), handle=handle, token=token.strip(), confirmed=confirm == "yes")
    except LeadsError as exc:
        from bridge.pool.endpoints import profile_response

        return profile_response(request, handle, status=exc.status, delete_error=exc.code)
    sep = "&" if _lang_qs(request) else "?"
    return RedirectResponse(f"/pool{_lang_qs(request)}{sep}done=deleted", status_code=303)
