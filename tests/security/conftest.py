"""An installation served in-process (TestClient) on its own SQLite file, whose only trusted origin besides its
own base URL is a loopback upstream the tests control: loopback is allowed explicitly here, never by default."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bridge.app import create_app
from bridge.db import make_database, upgrade
from bridge.settings import Settings
from tests.security.helpers import ForeignIssuer, Upstream, redirect, send_json, upstream


@dataclass
class Installation:
    client: TestClient
    settings: Settings
    trusted: Upstream
    issuer: ForeignIssuer


def app_client(tmp: Path, **settings: Any) -> tuple[TestClient, Settings]:
    config = Settings(data_dir=tmp / "var", base_url="http://testserver", load_sample=True, **settings)
    db = make_database(f"sqlite:///{tmp / 'leads.sqlite3'}")
    upgrade(db)
    return TestClient(create_app(config, db)), config


@pytest.fixture(scope="module")
def leads(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installation]:
    issuer = ForeignIssuer()

    def respond(h: BaseHTTPRequestHandler) -> None:
        if h.path.startswith("/redirect-to/"):
            redirect(h, h.path.removeprefix("/redirect-to/"))
        else:
            send_json(h, issuer.status_list(f"http://127.0.0.1:{h.server.server_address[1]}{h.path}"))

    with upstream(respond) as trusted:
        client, settings = app_client(tmp_path_factory.mktemp("leads"), fetch_allowed_hosts=trusted.origin)
        with client:
            yield Installation(client, settings, trusted, issuer)
