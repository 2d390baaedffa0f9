"""Security headers on every HTML route (and every other answer), framing only for the registered LTI platforms,
no inline script on any page, and HEAD wherever GET works."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from bridge.app import create_app
from bridge.dataspace import service as dataspace_service
from bridge.db import Database
from bridge.settings import Settings
from bridge.web.errors import flat_routes
from bridge.web.headers import PlatformOrigins
from lti.config import PlatformRegistration
from tests.bridge.ops.helpers import worker_alive

PLATFORM = PlatformRegistration(issuer="https://moodle.example.edu", client_id="c1",
                                auth_login_url="https://login.moodle.example.edu/mod/lti/auth.php",
                                auth_token_url="https://moodle.example.edu/mod/lti/token.php",
                                key_set_url="https://moodle.example.edu/mod/lti/certs.php", deployment_ids=("1",))
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=['\"]application/json['\"])[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    settings.base_url = "https://leads.example.org"
    dataspace_service.load_sample_if_empty(db)
    worker_alive(db)  # an installation with its award worker running: /readyz answers 200, not 503
    app = create_app(settings, db)
    app.state.lti.config.save(PLATFORM)
    with TestClient(app, base_url="https://leads.example.org") as test_client:
        yield test_client


def _get_paths(client: TestClient) -> list[str]:
    """Every GET route, with its path parameters filled (a real key where the sample has one)."""
    fill = {"key": "glam-mc-rights", "slug": "leads", "ext": "svg"}
    paths = []
    for route in flat_routes(client.app):
        if isinstance(route, APIRoute) and "GET" in route.methods:
            paths.append(re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: fill.get(m.group(1), "x"), route.path))
    return sorted(set(paths))


def test_every_html_answer_has_the_headers_and_no_inline_script(client: TestClient) -> None:
    html_routes = 0
    for path in _get_paths(client):
        response = client.get(path, headers={"Accept": "text/html"}, follow_redirects=False)
        assert response.status_code < 500, (path, response.status_code)
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] in ("same-origin", "no-referrer"), path
        assert headers["strict-transport-security"].startswith("max-age="), path
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert "object-src 'none'" in csp and "base-uri 'none'" in csp
        if not headers.get("content-type", "").startswith("text/html"):
            continue
        html_routes += 1
        if path not in ("/docs", "/redoc"):  # Swagger UI's and ReDoc's one script is allowed by its hash (below)
            assert not INLINE_SCRIPT.search(response.text), f"inline script on {path}"
        assert not EVENT_HANDLER.search(response.text), f"inline event handler on {path}"
        framers = csp.split("frame-ancestors ")[1].split(";")[0]
        if path.startswith(("/lti/", "/awards/", "/pool/launch/")) and not path.startswith("/lti/admin"):
            assert framers.split() == ["'self'", "https://login.moodle.example.edu", "https://moodle.example.edu"]
            assert "x-frame-options" not in headers, path
        else:
            assert framers == "'none'", path
            assert headers["x-frame-options"] == "DENY", path
    assert html_routes >= 25, html_routes


def test_admin_and_course_pages_cannot_be_framed(client: TestClient) -> None:
    for path in ("/lti/admin", "/courses/generate", "/verify", "/practices"):
        response = client.get(path)
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
        assert response.headers["x-frame-options"] == "DENY", path


def test_the_platforms_may_frame_a_launch_page_and_nobody_else(client: TestClient) -> None:
    csp = client.get("/lti/deep-link/unknown-launch").headers["content-security-policy"]
    assert "frame-ancestors 'self' https://login.moodle.example.edu https://moodle.example.edu" in csp
    registering = client.get("/lti/register", params={"openid_configuration": "https://new.example.net/oidc"})
    assert "https://new.example.net" in registering.headers["content-security-policy"]


def test_platform_origins_are_kept_for_their_ttl_then_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[int] = []
    now = [1000.0]
    monkeypatch.setattr("bridge.web.headers.time.monotonic", lambda: now[0])

    def load() -> list[str]:
        reads.append(1)
        return [PLATFORM.issuer, PLATFORM.auth_login_url]

    origins = PlatformOrigins(load, ttl=30)
    assert origins.kept() is None  # never read: the middleware reads them in the threadpool
    assert origins() == ("https://login.moodle.example.edu", "https://moodle.example.edu")
    now[0] += 29
    assert origins.kept() == origins() and len(reads) == 1  # kept: no read, no thread hop
    now[0] += 2
    assert origins.kept() is None
    origins()
    assert len(reads) == 2


def test_no_hsts_on_http(settings: Settings, db: Database) -> None:
    with TestClient(create_app(settings, db)) as plain:
        assert "strict-transport-security" not in plain.get("/practices").headers


def test_the_docs_pages_run_only_their_own_hashed_script_and_bundled_assets(client: TestClient) -> None:
    for path in ("/docs", "/redoc"):
        response = client.get(path)
        csp = response.headers["content-security-policy"]
        assert "'sha256-" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert "https://" not in csp and "cdn" not in response.text  # works offline: nothing from another origin
        for asset in re.findall(r'(?:src|href)="(/static/api-docs/[^"]+)"', response.text):
            assert client.get(asset).status_code == 200, asset
    assert "/static/api-docs/redoc.standalone.js" in client.get("/redoc").text


def test_scripts_are_served_files(client: TestClient) -> None:
    for path in ("/static/verify-scan.js", "/static/lti/autosubmit.js", "/static/lti/storage-put.js",
                 "/static/lti/storage-get.js", "/static/lti/registered.js", "/lti/js/redirect.js"):
        response = client.get(path)
        assert response.status_code == 200 and "javascript" in response.headers["content-type"], path
    assert client.get("/lti/js/nope.js").status_code == 404


def test_head_works_wherever_get_does(client: TestClient) -> None:
    for path in _get_paths(client):
        get = client.get(path, follow_redirects=False)
        head = client.head(path, follow_redirects=False)
        assert head.status_code == get.status_code, path
        assert head.content == b"", path
        assert head.headers.get("content-type") == get.headers.get("content-type"), path
    assert client.head("/static/leads.css").status_code == 200


def test_a_405_lists_every_method_of_the_address(client: TestClient) -> None:
    response = client.request("DELETE", "/verify", headers={"Accept": "application/json"})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, POST"
    assert response.json()["error"] == "method_not_allowed"
