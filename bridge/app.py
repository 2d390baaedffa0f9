"""The web application factory: settings, database (migrated at start), the data space and every router."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from bridge import composition, memory
from bridge.awards.endpoints import router as awards_router
from bridge.awards.keys_endpoints import router as keys_router
from bridge.awards.pages import router as awards_pages
from bridge.certificates.issuer_page import router as issuer_pages
from bridge.certificates.verify_page import router as certificates_router
from bridge.courses.endpoints import router as courses_router
from bridge.credentials.endpoints import router as credentials_router
from bridge.dataspace.api import CredentialDesign, current_index
from bridge.dataspace.endpoints import router as dataspace_router
from bridge.db import Database
from bridge.editor.map_pages import router as map_router
from bridge.editor.pages import router as editor_router
from bridge.ltitool.web import install as install_lti
from bridge.ops import logs as ops_logs
from bridge.ops.endpoints import install as install_ops
from bridge.ops.middleware import Observe
from bridge.pool.api import form_targets as pool_form_targets
from bridge.pool.endpoints import router as pool_router
from bridge.pool.identity_pages import router as pool_identity_router
from bridge.pool.launch_pages import router as pool_launch_router
from bridge.pool.selfservice import router as pool_selfservice
from bridge.scheduling.jobs import Scheduler
from bridge.settings import Settings, get_settings
from bridge.startup import prepare
from bridge.trust.endpoints import router as trust_router
from bridge.wallets.endpoints import router as wallets_router
from bridge.web.bounds import BodyLimit
from bridge.web.errors import install_error_handlers, register_error_type
from bridge.web.gate import NewProfileLimit, VerificationGate
from bridge.web.headers import HeadAsGet, PlatformOrigins, SecurityHeaders, script_hashes
from bridge.web.home import router as home_router
from bridge.web.language import RememberLanguage
from bridge.web.openapi import install as install_openapi
from issuer.errors import IssuerError

log = logging.getLogger("leads")

LOG_SETUP_ENV = "LEADS_LOG_SETUP"  # set by `leads serve` for its uvicorn worker processes
DOCS_ASSETS = "/static/api-docs"  # Swagger UI and ReDoc as shipped by the fastapi-offline package: no CDN


def _docs_pages(app: FastAPI) -> list[str]:
    """The API explorer at /docs and the reference at /redoc, with their scripts served from here (they work
    offline); the HTML is fixed, so the security headers can allow its inline script by hash."""

    assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(assets)), name="api-docs")
    openapi_url = app.openapi_url or "/openapi.json"
    docs_html = bytes(get_swagger_ui_html(
        openapi_url=openapi_url, title="LEADS API", swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png").body).decode()
    redoc_html = bytes(get_redoc_html(
        openapi_url=openapi_url, title="LEADS API reference", redoc_js_url=f"{DOCS_ASSETS}/redoc.standalone.js",
        redoc_favicon_url=f"{DOCS_ASSETS}/favicon.png", with_google_fonts=False).body).decode()

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(docs_html)

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return HTMLResponse(redoc_html)

    return [docs_html, redoc_html]


def _platform_urls(app: FastAPI) -> list[str]:
    """Where the registered LTI platforms live: they alone may frame the LTI pages."""
    tool = getattr(app.state, "lti", None)
    if tool is None:
        return []
    return [url for p in tool.config.list() for url in (p.issuer, p.auth_login_url)]


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scheduler = Scheduler(services.db, settings).start()  # LEADS_SCHEDULED_JOBS; none by default
        if os.environ.get(LOG_SETUP_ENV):  # `leads serve` (not tests and embedders: they keep their collector)
            memory.settle()
        yield
        scheduler.stop()
        services.close()
        services.db.engine.dispose()

    app = FastAPI(title="LEADS", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    if os.environ.get(LOG_SETUP_ENV):  # `leads serve` asked for it; tests and embedders keep their own logging
        ops_logs.configure(settings.log_format)
    services = composition.build(settings, db or prepare(settings))
    composition.install(app, services)
    install_error_handlers(app)
    docs_html = _docs_pages(app)
    app.add_middleware(RememberLanguage)
    app.add_middleware(HeadAsGet)
    app.add_middleware(SecurityHeaders, https=settings.base_url.startswith("https://"),
                       platforms=PlatformOrigins(lambda: _platform_urls(app)), docs_paths=("/docs", "/redoc"),
                       docs_hashes=[h for html in docs_html for h in script_hashes(html)],
                       form_targets=pool_form_targets(settings))

    app.mount("/static", StaticFiles(packages=[("bridge", "templates/static")]), name="static")

    app.include_router(home_router)
    # the routes a MOOC's traffic hits hardest come first: the router tries routes in order (each a regex match),
    # so the credential, status list and LTI requests skip the hundred routes of the pages and admin APIs
    register_error_type(app, IssuerError)
    app.include_router(credentials_router)
    app.include_router(certificates_router)
    composition.wire_lti(install_lti(app, settings, services.db))

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    install_ops(app, settings)

    app.include_router(editor_router)
    app.include_router(map_router)
    app.include_router(courses_router)  # before the data space: its /courses/{key} would swallow /courses/generate
    app.include_router(dataspace_router)
    app.include_router(pool_selfservice)  # before /pool/people/{handle} pages of pool_router
    app.include_router(pool_router)
    app.include_router(pool_launch_router)
    app.include_router(pool_identity_router)
    app.include_router(keys_router)
    app.include_router(trust_router)
    app.include_router(issuer_pages)
    app.include_router(awards_router)
    app.include_router(awards_pages)
    app.include_router(wallets_router)
    _bound_requests(app, settings)
    install_openapi(app, enums=lambda: _enums(app.state.db))
    app.add_middleware(Observe)  # outermost: every answer, refusals of the bounds included, is counted and logged

    return app


def _enums(db: Database) -> dict[str, list[str]]:
    """What the OpenAPI document enumerates from the data space: the credential design keys stored now."""
    return {"design": [d.key for d in current_index(db).all(CredentialDesign)]}


def _bound_requests(app: FastAPI, settings: Settings) -> None:
    """Request bounds and verification rationing, outermost first (docs/decisions/013)."""
    app.add_middleware(VerificationGate, per_minute=settings.verify_rate_per_minute,
                       concurrency=settings.verify_concurrency, queue_seconds=settings.verify_queue_seconds)
    app.add_middleware(NewProfileLimit, per_hour=settings.new_profiles_per_hour)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes,
                       upload_limit=settings.max_upload_bytes, upload_paths=("/verify", "/pool/publish", "/map"))
