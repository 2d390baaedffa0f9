"""The web application factory: settings, database (migrated at start), the data space and every router."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from bridge import composition
from bridge.awards.endpoints import router as awards_router
from bridge.awards.pages import router as awards_pages
from bridge.certificates.verify_page import router as certificates_router
from bridge.courses.endpoints import router as courses_router
from bridge.credentials.endpoints import router as credentials_router
from bridge.dataspace import service as dataspace_service
from bridge.dataspace.endpoints import router as dataspace_router
from bridge.db import Database, make_database, upgrade
from bridge.db.engine import migration_lock
from bridge.ltitool.web import install as install_lti
from bridge.pool.endpoints import router as pool_router
from bridge.pool.launch_pages import router as pool_launch_router
from bridge.settings import Settings, get_settings
from bridge.trust.endpoints import router as trust_router
from bridge.wallets.endpoints import router as wallets_router
from bridge.web.bounds import BodyLimit
from bridge.web.errors import install_error_handlers, register_error_type
from bridge.web.gate import VerificationGate
from bridge.web.headers import HeadAsGet, PlatformOrigins, SecurityHeaders, script_hashes
from bridge.web.openapi import install as install_openapi
from issuer.errors import IssuerError

log = logging.getLogger("leads")


def prepare(settings: Settings) -> Database:
    """What every process does before serving: data directory, migrations, the sample data space."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    composition.wire_codecs(settings)
    db = make_database(settings.effective_database_url)
    with migration_lock(db):  # serve and workers starting together: one migrates and loads, the others wait
        upgrade(db, lock=False)
        if settings.load_sample:
            loaded = dataspace_service.load_sample_if_empty(db)
            if loaded:
                log.info("loaded the bundled sample data space (%d entities)", loaded)
    return db


def _docs_page(app: FastAPI) -> str:
    """The API explorer at /docs; its HTML is fixed, so the security headers can allow its inline script by hash."""
    html = bytes(get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title="LEADS API").body).decode()

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(html)

    return html


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
        services.close()
        services.db.engine.dispose()

    app = FastAPI(title="LEADS", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    services = composition.build(settings, db or prepare(settings))
    composition.install(app, services)
    install_error_handlers(app)
    docs_html = _docs_page(app)
    app.add_middleware(HeadAsGet)
    app.add_middleware(SecurityHeaders, https=settings.base_url.startswith("https://"),
                       platforms=PlatformOrigins(lambda: _platform_urls(app)), docs_paths=("/docs",),
                       docs_hashes=script_hashes(docs_html))

    app.mount("/static", StaticFiles(packages=[("bridge", "templates/static")]), name="static")

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(courses_router)  # before the data space: its /courses/{key} would swallow /courses/generate
    app.include_router(dataspace_router)
    app.include_router(pool_router)
    app.include_router(pool_launch_router)
    register_error_type(app, IssuerError)
    app.include_router(credentials_router)
    app.include_router(trust_router)
    app.include_router(certificates_router)
    app.include_router(awards_router)
    app.include_router(awards_pages)
    app.include_router(wallets_router)
    composition.wire_lti(install_lti(app, settings, services.db))
    _bound_requests(app, settings)
    install_openapi(app)

    return app


def _bound_requests(app: FastAPI, settings: Settings) -> None:
    """Request bounds and verification rationing, outermost first (docs/decisions/013)."""
    app.add_middleware(VerificationGate, per_minute=settings.verify_rate_per_minute,
                       concurrency=settings.verify_concurrency, queue_seconds=settings.verify_queue_seconds)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes,
                       upload_limit=settings.max_upload_bytes, upload_paths=("/verify", "/pool/publish"))
