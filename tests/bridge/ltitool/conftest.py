"""Two real HTTP servers on loopback: LEADS (the tool) and an lti1p3platform platform, registered with each other."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from bridge.app import create_app
from bridge.dataspace import service as dataspace_service
from bridge.db import Database
from bridge.ltitool.store import SqlToolConfigStore
from bridge.ltitool.tool import LtiTool
from bridge.settings import Settings
from lti.config import PlatformRegistration
from tests.lti.platform import PendingLaunch, PlatformState, form_fields, make_platform, new_state
from tests.lti.serving import serve


@dataclass
class Peers:
    platform: PlatformState
    tool_base: str
    db: Database
    http: httpx.Client
    tool: LtiTool

    def start(self, pending: PendingLaunch) -> tuple[httpx.Response, dict[str, str]]:
        """The browser's part up to the id_token form post: platform → tool login → platform auth → form."""
        hint = uuid.uuid4().hex
        self.platform.pending[hint] = pending
        r = self.http.get(f"{self.platform.base}/start/{hint}")
        assert r.status_code in (302, 307), r.text
        login = self.http.get(r.headers["location"])
        return login, {}

    def launch(self, pending: PendingLaunch, accept: str = "text/html") -> tuple[httpx.Response, dict[str, str]]:
        """The full OIDC flow as a browser does it; returns the tool's answer and what was posted (to replay)."""
        login, _ = self.start(pending)
        assert login.status_code == 302, login.text
        cookies = login.headers.get_list("set-cookie")
        assert cookies and all("SameSite=None" in c and "Secure" in c for c in cookies), cookies
        cookie = "; ".join(c.split(";", 1)[0] for c in cookies)
        check = self.http.get(login.headers["location"], headers={"Cookie": cookie})  # the cookie came back
        assert check.status_code == 302 and check.headers["location"].startswith(self.platform.base), check.text
        auth = self.http.get(check.headers["location"])
        assert auth.status_code == 200, auth.text
        action, fields = form_fields(auth.text)
        fields["_cookie"] = cookie
        return self.post_launch(action, fields, accept), fields

    def post_launch(self, action: str, fields: dict[str, str], accept: str = "text/html") -> httpx.Response:
        data = {k: v for k, v in fields.items() if not k.startswith("_")}
        return self.http.post(action, data=data, headers={"Cookie": fields.get("_cookie", ""), "Accept": accept})


@pytest.fixture
def peers(db: Database, tmp_path: Path) -> Iterator[Peers]:
    state = new_state()

    def platform_app(base: str) -> object:
        state.base = base
        return make_platform(state)

    apps: list[FastAPI] = []

    def tool_app(base: str) -> object:
        settings = Settings(data_dir=tmp_path / "var", base_url=base, load_sample=False)
        apps.append(create_app(settings, db))
        return apps[0]

    dataspace_service.load_sample_if_empty(db)
    with serve(platform_app) as platform_base, serve(tool_app) as tool_base, httpx.Client(timeout=20) as http:
        state.tool_base = tool_base
        SqlToolConfigStore(db).save(PlatformRegistration(
            issuer=platform_base, client_id=state.client_id, auth_login_url=f"{platform_base}/authorize",
            auth_token_url=f"{platform_base}/token", key_set_url=f"{platform_base}/jwks",
            deployment_ids=(state.deployment_id,), name="lti1p3platform"))
        tool: LtiTool = apps[0].state.lti
        try:
            yield Peers(state, tool_base, db, http, tool)
        finally:
            tool.close()
