"""Mounts the LTI tool on the application: the ``lti`` router, the launch pages, the admin page, error rendering."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

import httpx
from fastapi import FastAPI

from bridge.db import Database
from bridge.ltitool.frames import install_error_handler, render_page
from bridge.ltitool.pages import make_admin_router, make_pages_router, on_launch
from bridge.ltitool.tool import LtiTool, registration_key
from bridge.settings import Settings
from lti.dynamic_registration import ToolDescription
from lti.router import make_router


def install(app: FastAPI, settings: Settings, db: Database, http: httpx.Client | None = None,
            clock: Callable[[], float] = time.time) -> LtiTool:
    tool = LtiTool(settings, db, http, clock)
    app.state.lti = tool
    install_error_handler(app)
    description = ToolDescription(settings.base_url, "LEADS", "Competence-based credentials from the Wikimedia "
                                  "learning data space: add a credential design, grades come back, learners claim "
                                  "signed certificates.")
    app.include_router(make_router(lambda: tool.context, settings.base_url, partial(on_launch, tool), render_page,
                                   registration_key=registration_key(settings), tool=description))
    app.include_router(make_pages_router(tool))
    app.include_router(make_admin_router(tool))
    return tool
