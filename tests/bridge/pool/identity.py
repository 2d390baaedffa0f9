"""Shared steps of the Wikimedia sign-in and CapX tests: an app wired to the local doubles, and the browser trip
through the wiki's authorize endpoint."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi.testclient import TestClient

from tests.bridge.pool.fakes import FakeWikiOAuth, WikiAccount

ADMIN = {"Authorization": "Bearer change-me-dev-only"}


def sign_in(client: TestClient, wiki: FakeWikiOAuth, authorize_url: str, account: WikiAccount) -> Any:
    """The browser: logged in at the wiki as ``account``, it follows the authorize URL back to LEADS."""
    wiki.browser = account
    answer = httpx.get(authorize_url, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    assert f"{back.scheme}://{back.netloc}" == "http://testserver"
    return client.get(f"{back.path}?{back.query}", follow_redirects=False, headers={"Accept": "application/json"})


def start_login(client: TestClient, handle: str, auth: dict[str, str]) -> str:
    started = client.post(f"/api/pool/profiles/{handle}/wiki-login", headers=auth)
    assert started.status_code == 201, started.text
    url: str = started.json()["authorize_url"]
    return url
