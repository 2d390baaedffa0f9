"""Server-side request forgery through verification, attempted from outside with no account: the server must make
no connection to loopback or private addresses, and must tell the caller nothing about what it found there."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
from typer.testing import CliRunner

from issuer.keys.signer import Ed25519Signer
from issuer.proofs.dataintegrity import sign
from issuer.proofs.jose import sign_jwt
from tests.issuer.samples import ob3_credential
from tests.security.conftest import Installation
from tests.security.helpers import listener

LEAKS = ("refused", "disconnected", "HTTP 4", "HTTP 5", "answered", "timed out", "Errno", "resolves", "public address")

SPELLINGS = ["http://127.0.0.1:{p}/admin", "http://localhost:{p}/", "http://[::ffff:127.0.0.1]:{p}/x",
             "http://2130706433:{p}/", "https://127.0.0.1:{p}/status/1", "http://[::1]:{p}/"]


def _status(report: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in report["checks"] if c["name"] == "status")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_status_list_on_loopback_is_never_fetched(leads: Installation, spelling: str) -> None:
    with listener() as sock:
        url = spelling.format(p=sock.port)
        r = leads.client.post("/api/verify", json=leads.issuer.credential(url))
        assert r.status_code == 200
        status = _status(r.json())
        assert status["ok"] is False and status["message"].endswith(f"the status list {url} could not be fetched")
        assert not any(leak in r.text for leak in LEAKS), r.text
        assert sock.connections() == 0


def test_an_open_port_and_a_closed_port_read_the_same(leads: Installation) -> None:
    """No port scanner: whatever is (or is not) listening, the caller learns the same thing."""
    with listener() as sock:
        open_url, closed_url = f"http://127.0.0.1:{sock.port}/", f"http://127.0.0.1:{_closed_port()}/"
        answers = [_status(leads.client.post("/api/verify", json=leads.issuer.credential(u)).json())["message"]
                   for u in (open_url, closed_url)]
        assert answers[0].replace(open_url, "URL") == answers[1].replace(closed_url, "URL")
        assert sock.connections() == 0


def test_did_web_issuer_on_loopback_is_never_fetched(leads: Installation) -> None:
    with listener() as sock:
        did = f"did:web:127.0.0.1%3A{sock.port}"
        signer = Ed25519Signer.generate()
        credential = sign(ob3_credential(did), signer, f"{did}#key-1", created="2026-01-01T00:00:00Z")
        r = leads.client.post("/api/verify", json=credential)
        assert r.status_code == 200 and r.json()["verified"] is False
        assert not any(leak in r.text for leak in LEAKS), r.text
        assert sock.connections() == 0


def test_jwt_kid_on_loopback_is_never_fetched(leads: Installation) -> None:
    with listener() as sock:
        did = f"did:web:localhost%3A{sock.port}"
        token = sign_jwt(ob3_credential(did), Ed25519Signer.generate(), f"{did}#k")
        r = leads.client.post("/api/verify", content=token, headers={"Content-Type": "text/plain"})
        assert r.status_code == 200 and r.json()["verified"] is False
        assert sock.connections() == 0


def test_redirect_from_a_trusted_upstream_to_loopback_is_not_followed(leads: Installation) -> None:
    with listener() as sock:
        url = f"{leads.trusted.origin}/redirect-to/http://127.0.0.1:{sock.port}/"
        r = leads.client.post("/api/verify", json=leads.issuer.credential(url))
        assert _status(r.json())["ok"] is False
        assert sock.connections() == 0
    assert any(q["path"].startswith("/redirect-to/") for q in leads.trusted.requests)


def test_a_trusted_upstream_is_fetched_with_the_leads_user_agent(leads: Installation) -> None:
    """The positive control: the same path works where an administrator allowed it, so the refusals above are the
    guard's doing, not a broken fetch."""
    url = f"{leads.trusted.origin}/lists/ok"
    r = leads.client.post("/api/verify", json=leads.issuer.credential(url))
    # genuine (its issuer is not one LEADS trusts, so not "verified": that is the trust book's answer)
    assert _status(r.json())["ok"] is True and r.json()["genuine"] is True, r.text
    seen = [q for q in leads.trusted.requests if q["path"] == "/lists/ok"]
    assert seen and seen[0]["user-agent"] == leads.settings.user_agent


@pytest.mark.parametrize("damage", ["unsigned", "tampered"])
def test_nothing_is_fetched_for_a_credential_whose_proof_fails(leads: Installation, damage: str) -> None:
    url = f"{leads.trusted.origin}/lists/{damage}"
    credential = leads.issuer.credential(url, signed=damage != "unsigned")
    if damage == "tampered":
        credential["name"] = "Something else"
    r = leads.client.post("/api/verify", json=credential)
    assert r.json()["verified"] is False
    assert _status(r.json())["outcome"] == "not_run"
    assert not [q for q in leads.trusted.requests if q["path"] == f"/lists/{damage}"]


def test_pool_publish_with_a_wrong_token_fetches_nothing(leads: Installation) -> None:
    with listener() as sock:
        credential = leads.issuer.credential(f"http://127.0.0.1:{sock.port}/")
        r = leads.client.post("/api/pool/profiles/nobody/credentials", json={"credential": credential},
                              headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 404
        made = leads.client.post("/api/pool/profiles", json={"handle": "eve", "display_name": "Eve"})
        assert made.status_code == 201
        r = leads.client.post("/api/pool/profiles/eve/credentials", json={"credential": credential},
                              headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 403
        r = leads.client.post("/pool/publish", data={"handle": "eve", "token": "wrong",
                                                     "presentation_text": json.dumps(credential)})
        assert r.status_code == 403
        assert sock.connections() == 0


def test_verify_page_says_could_not_be_fetched_and_connects_nowhere(leads: Installation) -> None:
    with listener() as sock:
        credential = leads.issuer.credential(f"http://127.0.0.1:{sock.port}/internal")
        r = leads.client.post("/verify", data={"credential": json.dumps(credential)})
        assert r.status_code == 200 and "could not be fetched" in r.text
        assert not any(leak in r.text for leak in LEAKS)
        assert sock.connections() == 0


def test_cli_verify_connects_nowhere(leads: Installation, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from bridge.cli import app
    from bridge.settings import get_settings

    monkeypatch.setenv("LEADS_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("LEADS_LOAD_SAMPLE", "false")
    get_settings.cache_clear()
    with listener() as sock:
        path = tmp_path / "c.json"
        path.write_text(json.dumps(leads.issuer.credential(f"http://127.0.0.1:{sock.port}/")))
        result = CliRunner().invoke(app, ["verify", str(path)])
        assert result.exit_code == 1, result.output
        assert "could not be fetched" in result.output
        assert sock.connections() == 0
    get_settings.cache_clear()
