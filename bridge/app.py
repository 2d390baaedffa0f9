"""The web application factory: settings, database (migrated at start), the data space and every router."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from bridge.dataspace import service as dataspace_service
from bridge.db import Database, make_database, upgrade
from bridge.settings import Settings, get_settings
from bridge.web.errors import install_error_handlers
from bridge.web.negotiate import TEMPLATES_DIR

log = logging.getLogger("leads")


def prepare(settings: Settings) -> Database:
    """What every process does before serving: data directory, migrations, the sample data space."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = make_database(settings.effective_database_url)
    upgrade(db)
    if settings.load_sample:
        loaded = dataspace_service.load_sample_if_empty(db)
        if loaded:
            log.info("loaded the bundled sample data space (%d entities)", loaded)
    return db


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.db.engine.dispose()

    app = FastAPI(title="LEADS", version="0.1.0", lifespan=lifespan, docs_url="/docs")
    app.state.settings = settings
    app.state.db = db or prepare(settings)
    install_error_handlers(app)

    static = TEMPLATES_DIR / "static"
    if static.is_dir():
        app.mount("/static", StaticFiles(directory=str(static)), name="static")

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
    return app
