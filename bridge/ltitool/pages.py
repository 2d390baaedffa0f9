"""What a launch shows: deep-linking picker for instructors, instructor and learner pages, the admin page."""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx
from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from bridge.db import keyset
from bridge.errors import LeadsError
from bridge.i18n import LANGUAGES, gettext_for
from bridge.ltitool import catalogue
from bridge.ltitool.admin import registration_from_fields
from bridge.ltitool.services import ags, is_instructor, launch_for, nrps
from bridge.ltitool.store import SqlToolConfigStore
from bridge.ltitool.tool import LtiTool, registration_url
from bridge.web import admin as admin_auth
from bridge.web.negotiate import request_lang, templates, wants_json
from bridge.web.params import After, page_links
from lti import deep_linking
from lti import validation as v
from lti.deep_linking import ContentItem, LineItemSpec
from lti.errors import LtiError
from lti.launch import Launch, answer_deep_link_once

LAUNCH_PRESENTATION = f"{v.CLAIM}launch_presentation"


def _n(text: str) -> str:  # marks a label for the catalogue; the template translates it
    return text


SECOND_TRUST = _n("Note: this platform is also registered as client %(clients)s with other keys or sign-in addresses; "
                  "each registration may sign in the platform's people. Remove the one that is no longer right.")


log = logging.getLogger("leads.lti")
# pages after a launch carry the launch id (the capability) in their URLs: never cached, never sent as referrer
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
ROSTER_PAGE = 100  # members a roster page asks the platform for (NRPS ``limit``)


def _custom(claims: dict[str, Any]) -> dict[str, str]:
    custom = claims.get(v.CLAIM + "custom")
    return {str(k): str(val) for k, val in custom.items()} if isinstance(custom, dict) else {}


def _summary(claims: dict[str, Any]) -> dict[str, Any]:
    context = claims.get(v.CONTEXT)
    context = context if isinstance(context, dict) else {}  # refused at launch (validation); a stored one may be odd
    return {"user": claims.get("name") or claims.get("given_name") or claims.get("sub"),
            "context": context.get("title") or context.get("label") or context.get("id"),
            "custom": _custom(claims), "has_ags": bool(claims.get(v.AGS_ENDPOINT)),
            "has_nrps": bool(claims.get(v.NRPS)), "instructor": is_instructor(claims)}


def content_items(tool: LtiTool, design_key: str, lang: str = "en") -> list[ContentItem]:
    """One graded resource link per assessment (its line item makes the grade column), plus the claim link; their
    titles (the course page's links, the gradebook's columns) in ``lang``, the instructor's language."""
    _ = gettext_for(lang).gettext
    base = tool.settings.base_url.rstrip("/")
    choice = catalogue.design(tool.db, design_key, lang)
    items = [ContentItem(type="ltiResourceLink", title=a.label, url=f"{base}/lti/launch",
                         text=_("Assessment for %(design)s") % {"design": choice.label},
                         line_item=LineItemSpec(label=a.label, resource_id=a.key, tag=a.design),
                         custom={"leads_assessment": a.key, "leads_design": a.design})
             for a in choice.assessments]
    items.append(ContentItem(type="ltiResourceLink",
                             title=_("Claim your certificate: %(design)s") % {"design": choice.label},
                             url=f"{base}/lti/launch",
                             text=_("Once you have passed the assessments, claim your signed certificate from LEADS."),
                             custom={"leads_action": "claim", "leads_design": choice.key}))
    return items


CLAIM_ITEM = "claim"  # the ``item`` that names the claim link (the others name an assessment by its key)


def item_key(item: ContentItem) -> str:
    return item.custom.get("leads_assessment") or CLAIM_ITEM


def chosen_items(tool: LtiTool, claims: dict[str, Any], design_key: str, item: str | None,
                 lang: str) -> list[ContentItem]:
    """The design's items, or only ``item`` (an assessment's key or ``claim``). A platform that takes one item
    (``accept_multiple: false``: Canvas's assignment selection, a single activity in Moodle) gets the one the
    instructor chose on the picker, never the first of several cut silently."""
    items = content_items(tool, design_key, lang)
    if item:
        items = [i for i in items if item_key(i) == item]
        if not items:
            raise LeadsError("%(design)s has no item %(item)s to add; choose one from the list",
                             code="item_not_found", status=422, params={"design": repr(design_key),
                                                                        "item": repr(item)})
    elif len(items) > 1 and not deep_linking.accepts_multiple(claims):
        raise LeadsError("this course page takes one LEADS item at a time: choose on the list which assessment, or "
                         "the “claim your certificate” link, to place here, then add the others the same way",
                         code="single_item_only", status=422)
    return items


def launch_language(request: Request, claims: dict[str, Any]) -> dict[str, str]:
    """The language of a launch's pages (``lang``, with ``qs`` for their links when it came from the launch): one a
    link chose (``?lang=``) as on any page; else the person's language on the platform (``launch_presentation.
    locale``: Moodle sends the user's, "es" or "es_mx"), carried by the links as ``?lang=`` since an LMS frame may
    drop the language cookie; else the request's own (cookie, Accept-Language)."""
    presentation = claims.get(LAUNCH_PRESENTATION)
    locale = str(presentation.get("locale") or "") if isinstance(presentation, dict) else ""
    code = re.split(r"[-_]", locale.strip(), maxsplit=1)[0].lower()
    if request.query_params.get("lang") or code not in LANGUAGES:
        return {"lang": request_lang(request)}
    return {"lang": code, "qs": f"?lang={code}"}


def record_for_awards(tool: LtiTool, request: Request, claims: dict[str, Any]) -> None:
    """Every launch tells the award pipeline who the user is, what the course is called and, with the grade
    service, that the course is to be polled (a failure here is logged; the launch goes on). The award pipeline
    listens through ``tool.launch_listeners`` (wired by the composition root): the tool sits below it."""
    for listener in tool.launch_listeners:
        try:
            listener(request, claims)
        except Exception as exc:  # recording helps the poll and names; it never fails a launch
            log.warning("launch not recorded for awards: %s: %s", exc.__class__.__name__, exc)


def ungrade_claim_link(tool: LtiTool, launch_id: str, claims: dict[str, Any]) -> bool:
    """The claim link is never graded: a platform that made it a graded item anyway (Moodle's "Accept grades from
    the tool: Always" gives every deep-linked item a grade column) gets that line item deleted on its first launch.
    Returns whether a line item was removed; a refusal is logged (the instructor can set the grade type to None)."""
    endpoint = claims.get(v.AGS_ENDPOINT)
    if _custom(claims).get("leads_action") != "claim" or not isinstance(endpoint, dict) or not endpoint.get("lineitem"):
        return False
    try:
        ags(tool, launch_id).delete_line_item(str(endpoint["lineitem"]))
    except (LeadsError, LtiError, httpx.HTTPError) as exc:
        log.warning("the claim link's grade item %s was not removed: %s", endpoint["lineitem"], exc)
        return False
    log.info("removed the grade item %s the platform gave the claim link", endpoint["lineitem"])
    return True


def on_launch(tool: LtiTool, request: Request, launch: Launch) -> Response:
    claims = launch.claims
    record_for_awards(tool, request, claims)
    ungrade_claim_link(tool, launch.launch_id, claims)
    if launch.message_type == v.DEEP_LINKING_REQUEST:
        if not is_instructor(claims):
            raise LeadsError("only instructors can add LEADS content to a course", code="instructor_only",
                             status=403)
        return picker(tool, request, launch.launch_id, "", claims)
    return launch_page(tool, request, launch.launch_id, claims)


def launch_page(tool: LtiTool, request: Request, launch_id: str, claims: dict[str, Any]) -> Response:
    """The learner's or instructor's start page of a launch; also at GET /lti/app/{launch_id}, so a link (the
    language switch) can show it again without the platform's POST."""
    summary = _summary(claims)
    page = "lti/instructor.html" if summary["instructor"] else "lti/learner.html"
    design = None
    key = summary["custom"].get("leads_design")
    language = launch_language(request, claims)
    if key:
        try:
            design = catalogue.design(tool.db, key, language["lang"])
        except LeadsError:
            design = None
    if wants_json(request):
        return JSONResponse({"launch_id": launch_id, "page": page, **summary,
                             "design": design.key if design else None})
    return templates.TemplateResponse(request, page, {"launch_id": launch_id, "s": summary, "design": design,
                                                      "switch_path": f"/lti/app/{launch_id}", **language},
                                      headers=PRIVATE)


def picker(tool: LtiTool, request: Request, launch_id: str, query: str, claims: dict[str, Any]) -> Response:
    language = launch_language(request, claims)
    choices = catalogue.designs(tool.db, query, language["lang"])
    return templates.TemplateResponse(request, "lti/deep_link.html", {
        "launch_id": launch_id, "query": query, "choices": choices, "switch_path": f"/lti/deep-link/{launch_id}",
        "single": not deep_linking.accepts_multiple(claims), "claim_item": CLAIM_ITEM, **language}, headers=PRIVATE)


def make_pages_router(tool: LtiTool) -> APIRouter:
    router = APIRouter(prefix="/lti", tags=["lti"])

    @router.get("/deep-link/{launch_id}", summary="Search credential designs during deep linking")
    def search(request: Request, launch_id: str, q: str = "") -> Response:
        claims, _ = launch_for(tool, launch_id)
        if claims.get(v.MESSAGE_TYPE) != v.DEEP_LINKING_REQUEST or not is_instructor(claims):
            raise LeadsError("this launch cannot add content", code="not_deep_linking", status=403)
        return picker(tool, request, launch_id, q, claims)

    @router.post("/deep-link/{launch_id}", summary="Return the chosen design's items to the platform")
    def choose(request: Request, launch_id: str, design: str = Form(...), item: str | None = Form(None)) -> Response:
        claims, platform = launch_for(tool, launch_id)
        if not is_instructor(claims):
            raise LeadsError("only instructors can add LEADS content to a course", code="instructor_only",
                             status=403)
        lang = launch_language(request, claims)["lang"]
        return_url, token = deep_linking.response(claims, platform, tool.keys(),
                                                  chosen_items(tool, claims, design, item, lang), tool.context.clock)
        answer_deep_link_once(tool.context, launch_id)
        log.info("LTI deep linking: design %s%s returned to %s", design, f" (item {item})" if item else "",
                 platform.issuer)
        if wants_json(request):
            return JSONResponse({"deep_link_return_url": return_url, "JWT": token})
        return templates.TemplateResponse(request, "lti/deep_link_return.html",
                                          {"return_url": return_url, "jwt": token},
                                          headers=PRIVATE)

    @router.get("/app/{launch_id}", summary="The start page of a launch again (for links such as the language switch)")
    def again(request: Request, launch_id: str) -> Response:
        claims, _ = launch_for(tool, launch_id)
        if claims.get(v.MESSAGE_TYPE) == v.DEEP_LINKING_REQUEST:
            return picker(tool, request, launch_id, "", claims)
        return launch_page(tool, request, launch_id, claims)

    @router.get("/app/{launch_id}/roster", summary="The course roster through NRPS (instructors)")
    def roster(request: Request, launch_id: str, after: After = None) -> Response:
        """One page of the platform's roster (ROSTER_PAGE members), and a link to the next when it has one."""
        claims, _ = launch_for(tool, launch_id)
        if not is_instructor(claims):
            raise LeadsError("only instructors can read the roster", code="instructor_only", status=403)
        query = str(keyset.read(after, str)[0]) if after else None
        members, following = nrps(tool, launch_id).page(query, limit=ROSTER_PAGE)
        links = page_links(request, keyset.write(following) if following is not None else None)
        if wants_json(request):
            return JSONResponse({"members": members, "next": links["next"]}, headers=PRIVATE)
        return templates.TemplateResponse(request, "lti/roster.html", {
            "launch_id": launch_id, "members": members, "links": links, "page_size": ROSTER_PAGE,
            "course": _summary(claims).get("context")},
            headers=PRIVATE)

    return router


def make_admin_router(tool: LtiTool) -> APIRouter:
    router = APIRouter(prefix="/lti/admin", tags=["lti"])

    def _check(request: Request, token: str | None) -> None:
        admin_auth.check_admin_token(request, token, "the LTI platforms page")

    def _token(request: Request, form_token: str | None = None) -> str | None:
        return admin_auth.bearer_token(request) or form_token

    def _page(request: Request, status: int = 200, message: str = "") -> Response:
        platforms = tool.config.list()
        if wants_json(request):
            return JSONResponse({"registration_url": registration_url(tool.settings),
                                 "platforms": [p.__dict__ | {"deployment_ids": list(p.deployment_ids)}
                                               for p in platforms]}, status_code=status)
        base = tool.settings.base_url.rstrip("/")
        return templates.TemplateResponse(request, "lti/admin.html", {
            "platforms": platforms, "message": message, "registration_url": registration_url(tool.settings),
            "tool_urls": {_n("Login (initiate login) URL"): f"{base}/lti/login", _n("Launch / redirect URL"):
                          f"{base}/lti/launch", _n("Keyset (JWKS) URL"): f"{base}/lti/jwks",
                          _n("Deep linking URL"): f"{base}/lti/launch"}}, status_code=status)

    @router.get("", summary="Registered platforms (admin)")
    def admin(request: Request) -> Response:
        token = _token(request)
        if token is None and not wants_json(request):
            return templates.TemplateResponse(request, "lti/admin_login.html", {})
        _check(request, token)
        return _page(request)

    @router.post("", summary="Register a platform by hand (admin)")
    async def add(request: Request) -> Response:
        form = {k: val for k, val in (await request.form()).items() if isinstance(val, str)}
        await run_in_threadpool(_check, request, _token(request, form.get("admin_token")))
        if form.get("action") == "list":
            return await run_in_threadpool(_page, request)
        reg = registration_from_fields(form.get("issuer", ""), form.get("client_id", ""),
                                       form.get("auth_login_url", ""), form.get("auth_token_url", ""),
                                       form.get("key_set_url", ""), form.get("deployment_ids", "").replace(",", " ")
                                       .split(), form.get("name", ""))
        conflicts = await run_in_threadpool(tool.config.conflicts, reg) if isinstance(tool.config, SqlToolConfigStore) \
            else []
        await run_in_threadpool(tool.config.save, reg)
        done = admin_auth.tr(request, "Registered.") + f" {reg.issuer} · {reg.client_id}"
        if conflicts:
            done += " " + admin_auth.tr(request, SECOND_TRUST) % {"clients": ", ".join(c.client_id for c in conflicts)}
        return await run_in_threadpool(_page, request, 201, done)

    return router
