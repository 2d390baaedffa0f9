"""The web application factory: settings, database (migrated at start), the data space and every router."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from bridge.dataspace import service as dataspace_service
from bridge.db import Database, make_database, upgrade
from bridge.db.engine import migration_lock
from bridge.settings import Settings, get_settings
from bridge.web.errors import install_error_handlers
from bridge.web.headers import HeadAsGet, PlatformOrigins, SecurityHeaders, script_hashes
from bridge.web.language import RememberLanguage
from bridge.web.negotiate import TEMPLATES_DIR
from bridge.web.openapi import install as install_openapi

log = logging.getLogger("leads")


def prepare(settings: Settings) -> Database:
    """What every process does before serving: data directory, migrations, the sample data space."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = make_database(settings.effective_database_url)
    with migration_lock(db):  # serve and workers starting together: one migrates and loads, the others wait
        upgrade(db, lock=False)
        if settings.load_sample:
            loaded = dataspace_service.load_sample_if_empty(db)
            if loaded:
                log.info("loaded the bundled sample data space (%d entities)", loaded)
    return db


DOCS_ASSETS = "/static/api-docs"  # Swagger UI and ReDoc as shipped by the fastapi-offline package: no CDN


def _docs_pages(app: FastAPI) -> list[str]:
    """The API explorer at /docs and the reference at /redoc, with their scripts served from here (they work
    offline); the HTML is fixed, so the security headers can allow its inline script by hash."""
    import fastapi_offline

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
        yield
        verifier = getattr(app.state, "verifier", None)
        if verifier is not None:
            verifier.close()
        app.state.db.engine.dispose()

    app = FastAPI(title="LEADS", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.db = db or prepare(settings)
    install_error_handlers(app)
    docs_html = _docs_pages(app)
    app.add_middleware(RememberLanguage)
    app.add_middleware(HeadAsGet)
    app.add_middleware(SecurityHeaders, https=settings.base_url.startswith("https://"),
                       platforms=PlatformOrigins(lambda: _platform_urls(app)), docs_paths=("/docs", "/redoc"),
                       docs_hashes=[h for html in docs_html for h in script_hashes(html)])

    static = TEMPLATES_DIR / "static"
    if static.is_dir():
        app.mount("/static", StaticFiles(directory=str(static)), name="static")

    from bridge.web.home import router as home_router

    app.include_router(home_router)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    from bridge.courses.endpoints import router as courses_router

    app.include_router(courses_router)  # before the data space: its /courses/{key} would swallow /courses/generate

    from bridge.dataspace.endpoints import router as dataspace_router

    app.include_router(dataspace_router)

    from bridge.pool.endpoints import router as pool_router
    from bridge.pool.launch_pages import router as pool_launch_router

    app.include_router(pool_router)
    app.include_router(pool_launch_router)

    from bridge.credentials.endpoints import router as credentials_router
    from bridge.web.errors import register_error_type
    from issuer.errors import IssuerError

    register_error_type(app, IssuerError)
    app.include_router(credentials_router)

    from bridge.trust.endpoints import router as trust_router

    app.include_router(trust_router)

    from bridge.certificates.verify_page import router as certificates_router

    app.include_router(certificates_router)

    from bridge.awards.endpoints import router as awards_router
    from bridge.awards.pages import router as awards_pages

    app.include_router(awards_router)
    app.include_router(awards_pages)

    from bridge.wallets.endpoints import router as wallets_router

    app.include_router(wallets_router)

    from bridge.ltitool.web import install as install_lti

    install_lti(app, settings, app.state.db)
    _bound_requests(app, settings)
    install_openapi(app)

    return app


def _bound_requests(app: FastAPI, settings: Settings) -> None:
    """Request bounds and verification rationing, outermost first (docs/decisions/013)."""
    from bridge.web.bounds import BodyLimit
    from bridge.web.gate import VerificationGate

    app.add_middleware(VerificationGate, per_minute=settings.verify_rate_per_minute,
                       concurrency=settings.verify_concurrency, queue_seconds=settings.verify_queue_seconds)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes,
                       upload_limit=settings.max_upload_bytes, upload_paths=("/verify", "/pool/publish"))
