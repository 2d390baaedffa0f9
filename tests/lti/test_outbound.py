"""Platform calls that fail in transport (refused connection, silence, TLS) or with an HTML error page become one
readable ``platform_service_error``; the trust for outbound HTTPS adds a CA bundle to certifi's instead of
replacing it."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import certifi
import httpx
import pytest

from lti.config import PlatformRegistration
from lti.errors import LtiError
from lti.keys import FileKeyStore, ensure_keys
from lti.outbound import CODE, call, summary, tls_context
from lti.services import NrpsClient, TokenCache, TokenClient
from tests.lti.serving import free_socket
from tests.lti.tls import make_pki

MOODLE_404 = ("<!DOCTYPE html><html dir='ltr' lang='en'><head><title>Error | Moodle 5.1</title>"
              "<script>var M = {};</script></head><body><div class='errorbox'>…</div></body></html>")


def _platform(base: str) -> PlatformRegistration:
    return PlatformRegistration(issuer=base, client_id="c1", auth_login_url=f"{base}/auth",
                                auth_token_url=f"{base}/token", key_set_url=f"{base}/jwks", deployment_ids=("d1",))


def _tokens(base: str, http: httpx.Client, tmp_path: Path) -> TokenClient:
    ring = ensure_keys(FileKeyStore(tmp_path / "keys"))
    return TokenClient(_platform(base), lambda: ring, http, TokenCache())


def test_a_refused_connection_names_the_host_and_reachability(tmp_path: Path) -> None:
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there any more
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(timeout=2) as http, pytest.raises(LtiError) as caught:
        NrpsClient({"context_memberships_url": f"{base}/nrps"}, _tokens(base, http, tmp_path)).members()
    err = caught.value
    assert (err.code, err.status, err.template) == (CODE, 502, "unreachable")
    assert f"127.0.0.1:{port}" in err.message and "access token" in err.message and "reach" in err.message


def test_a_silent_platform_is_a_timeout_not_a_hang(tmp_path: Path) -> None:
    with socket.socket() as silent:  # accepts connections (backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/jwks"
        with httpx.Client(timeout=0.5) as http, pytest.raises(LtiError) as caught:
            call("key set", url, lambda: http.get(url))
    assert (caught.value.code, caught.value.status, caught.value.template) == (CODE, 504, "timeout")
    assert "did not answer in time" in caught.value.message


def test_an_html_error_page_is_summarised_not_pasted() -> None:
    url = "https://moodle.test/mod/lti/token.php"
    page = httpx.Response(404, html=MOODLE_404, request=httpx.Request("POST", url))
    with pytest.raises(LtiError) as caught:
        call("access token", url, lambda: page)
    message = caught.value.message
    assert message.startswith("moodle.test refused the access token request: HTTP 404 (HTML page “Error | Moodle")
    assert "<" not in message and "script" not in message and "key set" in message  # the likely cause
    assert summary(httpx.Response(500, text="x" * 500)).endswith("…)")


def test_a_ca_bundle_is_added_to_certifi_not_replacing_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    pki = make_pki(tmp_path / "pki", ("platform.test",))
    default = tls_context()
    with_ca = tls_context(pki.ca_pem)
    certifi_roots = ssl.create_default_context(cafile=certifi.where()).cert_store_stats()["x509_ca"]
    assert default.cert_store_stats()["x509_ca"] == certifi_roots
    assert with_ca.cert_store_stats()["x509_ca"] == certifi_roots + 1  # added, not replacing
    assert tls_context(system_store=True).verify_mode == ssl.CERT_REQUIRED
    with pytest.raises(LtiError) as caught:
        tls_context(tmp_path / "missing.pem")
    assert caught.value.code == "invalid_ca_bundle"
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca_pem))  # what httpx alone would use *instead of* certifi
    assert tls_context().cert_store_stats()["x509_ca"] == certifi_roots + 1


@pytest.mark.parametrize("body", [[{"user_id": "u1"}], {"members": {"u1": {}}}, {"members": ["u1"]}])
def test_a_roster_that_is_not_a_membership_container_is_the_platforms_error(tmp_path: Path, body: object) -> None:
    """Read whole (the award pipeline) or a page at a time (the roster page), alike: a 502 that names the URL, not
    a crash on the body's shape."""
    base = "https://platform.test"

    def platform(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "t", "token_type": "Bearer", "expires_in": 3600})
        return httpx.Response(200, json=body, headers={"Content-Type": "application/vnd.ims.lti-nrps.v2."
                                                                       "membershipcontainer+json"})

    with httpx.Client(transport=httpx.MockTransport(platform)) as http:
        nrps = NrpsClient({"context_memberships_url": f"{base}/nrps"}, _tokens(base, http, tmp_path))
        for read in (nrps.members, nrps.page):
            with pytest.raises(LtiError) as caught:
                read()
            assert (caught.value.code, caught.value.status) == ("platform_service_error", 502)
            assert f"{base}/nrps" in caught.value.message and "membership container" in caught.value.message
