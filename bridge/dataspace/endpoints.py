"""Data-space pages and JSON (the same URLs, by content negotiation); the design-set API is in ``admin.py``.

Routes stay thin: read the index, build the page data with ``views``, then render HTML or send JSON.
They are plain ``def`` so the database work runs in the thread pool, never on the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from bridge.dataspace import views
from bridge.dataspace.admin import router as api_router
from bridge.dataspace.queries import Index, current_index, find_by_wikibase_id
from bridge.dataspace.svgmap import graph_from_practice, render_svg
from bridge.db import Database
from bridge.i18n import COOKIE
from bridge.i18n.ui import ui
from bridge.settings import Settings
from bridge.web.negotiate import templates, wants_json
from bridge.web.openapi import answers

router = APIRouter(tags=["data space"])
router.include_router(api_router)

LangQuery = Query(None, description="Language of the labels: en or es (default: Accept-Language, else en)")


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def view_context(request: Request, lang: str | None) -> views.ViewContext:
    settings: Settings = request.app.state.settings
    return views.ViewContext(
        lang=views.choose_lang(lang or request.cookies.get(COOKIE), request.headers.get("accept-language")),
        base_url=settings.base_url,
        entity_base=settings.entity_base,
        own_entity_base=settings.wikibase_entity_base is None,
    )


def _index(request: Request) -> Index:
    return current_index(_db(request))


def _respond(request: Request, ctx: views.ViewContext, template: str, data: dict[str, Any]) -> Response:
    headers = {"Vary": "Accept, Accept-Language", "Content-Language": ctx.lang}
    if wants_json(request):
        return JSONResponse(data, headers=headers)
    query_lang = request.query_params.get("lang")
    qs = f"?lang={ctx.lang}" if query_lang and query_lang.lower() == ctx.lang else ""
    context = {"page": data, "ui": ui(ctx.lang), "lang": ctx.lang, "qs": qs, "path": request.url.path}
    return templates.TemplateResponse(request, template, context, headers=headers)


def _page(template: str, build: Callable[[Index, str, views.ViewContext], dict[str, Any]],
          ) -> Callable[[Request, str, str | None], Response]:
    def endpoint(request: Request, key: str, lang: str | None = LangQuery) -> Response:
        ctx = view_context(request, lang)
        return _respond(request, ctx, template, build(_index(request), key, ctx))

    return endpoint


@router.get("/practices", summary="The practices of the data space")
def practices(request: Request, lang: str | None = LangQuery) -> Response:
    ctx = view_context(request, lang)
    return _respond(request, ctx, "dataspace/practices.html", views.list_practices(_index(request), ctx))


router.add_api_route("/practices/{key}", _page("dataspace/practice.html", views.practice_page), methods=["GET"],
                     summary="A practice: activities, competences, credential designs, courses",
                     name="practice")
router.add_api_route("/competences/{key}", _page("dataspace/competence.html", views.competence_page),
                     methods=["GET"], summary="A competence: levels, outcomes, designs and courses that lead to it",
                     name="competence")
router.add_api_route("/designs/{key}", _page("dataspace/design.html", views.design_page), methods=["GET"],
                     summary="A credential design: outcomes, assessments, stack, ECTS and EQF", name="design")
router.add_api_route("/courses/{key}", _page("dataspace/course.html", views.course_page), methods=["GET"],
                     summary="A course and the credential it leads to", name="course")


@router.get("/practices/{key}/map.svg", summary="The competence map of a practice (SVG; JSON graph on request)",
            responses=answers("image/svg+xml", "application/json"))
def practice_map(request: Request, key: str, lang: str | None = LangQuery) -> Response:
    ctx = view_context(request, lang)
    graph = graph_from_practice(views.practice_page(_index(request), key, ctx), ui(ctx.lang))
    headers = {"Vary": "Accept, Accept-Language", "Content-Language": ctx.lang}
    if wants_json(request):
        return JSONResponse({"title": graph.title, "description": graph.description, "columns": graph.headers,
                             "nodes": [vars(n) for n in graph.nodes],
                             "edges": [{"from": a, "to": b} for a, b in graph.edges]}, headers=headers)
    return Response(render_svg(graph), media_type="image/svg+xml", headers=headers)


@router.get("/entity/{key}", summary="Resolve an entity URI (LEADS key or Wikibase id) to its page",
            response_class=RedirectResponse, status_code=303)
def entity(request: Request, key: str) -> Response:
    index = current_index(_db(request))
    if key not in index.by_key:
        with _db(request).session() as session:
            key = find_by_wikibase_id(session, key) or key
    target = views.entity_location(index, key)
    if request.url.query:
        path, _, anchor = target.partition("#")
        target = f"{path}?{request.url.query}" + (f"#{anchor}" if anchor else "")
    return RedirectResponse(target, status_code=303, headers={"Vary": "Accept"})
