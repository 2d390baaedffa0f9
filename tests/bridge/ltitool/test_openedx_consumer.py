"""Open edX as the second platform: lti-consumer-xblock's own LTI 1.3 consumer (minimal Django settings) builds
the launch tokens and checks LEADS's deep-linking response, with both sides served over HTTP on loopback."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import django  # type: ignore[import-untyped]
import httpx
import pytest
from django.conf import settings as django_settings  # type: ignore[import-untyped]
from fastapi import FastAPI
from joserfc.jwk import RSAKey

from bridge.app import create_app
from bridge.dataspace import service as dataspace_service
from bridge.db import Database
from bridge.ltitool.store import SqlToolConfigStore
from bridge.settings import Settings
from lti.config import PlatformRegistration
from tests.lti.platform import form_fields
from tests.lti.serving import serve

if not django_settings.configured:  # what the xblock's LTI 1.3 code reads: a cache and the platform name
    django_settings.configure(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}, USE_TZ=True,
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"], SECRET_KEY="leads-tests",
        DATABASES={}, PLATFORM_NAME="Open edX (test)")
    django.setup()
with warnings.catch_warnings():  # its imports warn about cgi and Python 3.11: not ours to fix
    warnings.simplefilter("ignore", DeprecationWarning)
    from lti_consumer.data import Lti1p3LaunchData  # type: ignore[import-untyped]
    from lti_consumer.lti_1p3.consumer import LtiAdvantageConsumer  # type: ignore[import-untyped]

ISS = "https://openedx.example"
CLIENT = "block-v1-client-7f3c"  # Open edX: one client id per LTI component
DEPLOYMENT = "1"


@dataclass
class Edx:
    tool_base: str
    platform_base: str
    rsa_pem: str
    http: httpx.Client

    def consumer(self) -> Any:
        consumer = LtiAdvantageConsumer(
            iss=ISS, lti_oidc_url=f"{self.tool_base}/lti/login", lti_launch_url=f"{self.tool_base}/lti/launch",
            client_id=CLIENT, deployment_id=DEPLOYMENT, rsa_key=self.rsa_pem, rsa_key_id="edx-key-1",
            redirect_uris=[f"{self.tool_base}/lti/launch"], tool_keyset_url=f"{self.tool_base}/lti/jwks")
        consumer.enable_deep_linking(f"{self.tool_base}/lti/launch", f"{self.platform_base}/deep_linking_return")
        return consumer

    def launch(self, consumer: Any, message_type: str, role: str) -> httpx.Response:
        """The browser: consumer's preflight URL → LEADS login → consumer's launch token → LEADS launch."""
        data = Lti1p3LaunchData(user_id=f"edx-{role}", user_role=role, config_id=uuid.uuid4().hex,
                                resource_link_id="block-v1:LEADS+GLAM+2026+type@lti_consumer+block@abc",
                                message_type=message_type)
        login = self.http.get(consumer.prepare_preflight_url(data))
        assert login.status_code == 302, login.text
        cookie = "; ".join(c.split(";", 1)[0] for c in login.headers.get_list("set-cookie"))
        check = self.http.get(login.headers["location"], headers={"Cookie": cookie})  # the state cookie came back
        assert check.status_code == 302, check.text
        preflight = {k: v[0] for k, v in parse_qs(urlsplit(check.headers["location"]).query).items()}
        assert check.headers["location"].startswith(f"{self.platform_base}/authorize")
        launch = consumer.generate_launch_request(preflight)
        return self.http.post(preflight["redirect_uri"], data=launch, headers={"Cookie": cookie})


@pytest.fixture
def edx(db: Database, tmp_path: Path) -> Iterator[Edx]:
    rsa_pem = RSAKey.generate_key(2048).as_pem(private=True).decode()
    keyset: dict[str, Any] = {}

    def platform_app(base: str) -> FastAPI:
        app = FastAPI()

        @app.get("/jwks")
        def jwks() -> dict[str, Any]:  # what Open edX's public keyset endpoint returns for the block
            return keyset

        return app

    apps: list[FastAPI] = []

    def tool_app(base: str) -> FastAPI:
        apps.append(create_app(Settings(data_dir=tmp_path / "var", base_url=base, load_sample=False), db))
        return apps[0]

    dataspace_service.load_sample_if_empty(db)
    with serve(platform_app) as platform_base, serve(tool_app) as tool_base, httpx.Client(timeout=20) as http:
        edx = Edx(tool_base, platform_base, rsa_pem, http)
        keyset.update(edx.consumer().get_public_keyset())
        SqlToolConfigStore(db).save(PlatformRegistration(
            issuer=ISS, client_id=CLIENT, auth_login_url=f"{platform_base}/authorize",
            auth_token_url=f"{platform_base}/token", key_set_url=f"{platform_base}/jwks",
            deployment_ids=(DEPLOYMENT,), name="Open edX"))
        try:
            yield edx
        finally:
            apps[0].state.lti.close()


def test_openedx_deep_linking_response_is_accepted_by_the_xblock(edx: Edx) -> None:
    consumer = edx.consumer()
    consumer.set_user_data("edx-instructor", "instructor", full_name="Ada Instructor")
    page = edx.launch(consumer, "LtiDeepLinkingRequest", "instructor")
    assert page.status_code == 200, page.text
    launch_id = page.text.split("/lti/deep-link/", 1)[1].split('"', 1)[0].split("?", 1)[0]
    chosen = edx.http.post(f"{edx.tool_base}/lti/deep-link/{launch_id}", data={"design": "glam-mc-rights"})
    action, fields = form_fields(chosen.text)
    assert action == f"{edx.platform_base}/deep_linking_return"
    items = consumer.check_and_decode_deep_linking_token(fields["JWT"])  # Open edX's own check
    graded = [i for i in items if "lineItem" in i]
    assert [i["lineItem"]["resourceId"] for i in graded] == ["glam-as-rights-quiz"]
    assert graded[0]["lineItem"]["scoreMaximum"] == 100 and graded[0]["lineItem"]["tag"] == "glam-mc-rights"
    assert any(i["title"].startswith("Claim your certificate") for i in items)


def test_openedx_resource_link_launch_by_a_learner(edx: Edx) -> None:
    consumer = edx.consumer()
    consumer.set_user_data("edx-student", "student")
    consumer.set_resource_link_claim("block-v1:LEADS+GLAM+2026+type@lti_consumer+block@abc")
    consumer.set_custom_parameters({"leads_design": "glam-mc-rights", "leads_assessment": "glam-as-rights-quiz"})
    page = edx.launch(consumer, "LtiResourceLinkRequest", "student")
    assert page.status_code == 200, page.text
    assert "Rights and licensing" in page.text and "instructor view" not in page.text
