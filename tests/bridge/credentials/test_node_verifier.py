"""The Node reference verifier (@digitalbazaar/vc + eddsa-rdfc-2022, pinned in tests/node) accepts an OB3 credential
issued through the API, status lists included, and rejects it once tampered or revoked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests import noderef
from tests.bridge.credentials.conftest import ADMIN, issue

ROOT = Path(__file__).resolve().parents[3]
NODE_DIR = ROOT / "tests" / "node"

pytestmark = pytest.mark.node


def node_verify(tmp: Path, client: TestClient, credential: dict[str, Any]) -> dict[str, Any]:
    dids = {doc["id"]: doc for doc in (client.get("/.well-known/did.json").json(),
                                       client.get("/issuers/wikimedia-es/did.json").json())}
    lists = {}
    for entry in credential["credentialStatus"]:
        url = entry["statusListCredential"]
        lists[url] = client.get(url.removeprefix("http://testserver")).json()
    return noderef.node_verify(credential, tmp, dids=dids, lists=lists)


def test_node_verifies_an_api_issued_ob3_and_rejects_tampering_and_revocation(
        sqlite_client: TestClient, tmp_path: Path) -> None:
    client = sqlite_client
    issued = issue(client, "ob3", issuer="wikimedia-es")
    credential = issued["credential"]
    assert isinstance(credential, dict)
    assert node_verify(tmp_path, client, credential) == {"verified": True, "errors": []}

    tampered = json.loads(json.dumps(credential).replace("Ada Lovelace", "Ada Lovelacf"))
    result = node_verify(tmp_path, client, tampered)
    assert not result["verified"] and "Invalid signature." in result["errors"]

    client.post(f"/api/credentials/{issued['id']}/revoke", json={"reason": "test"}, headers=ADMIN)
    result = node_verify(tmp_path, client, credential)
    assert not result["verified"]
    assert any("revocation is set" in e for e in result["errors"]), result


def test_acceptance_cli_issue_then_node_verifies_the_file_and_rejects_one_changed_character(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from bridge.app import prepare
    from bridge.cli import app
    from bridge.credentials.service import CredentialService
    from bridge.settings import get_settings

    monkeypatch.setenv("LEADS_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("LEADS_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        out = tmp_path / "c.json"
        result = CliRunner().invoke(app, ["issue", "--design", "glam-mc-rights", "--name", "Ada Lovelace",
                                          "--format", "ob3", "-o", str(out)])
        assert result.exit_code == 0, result.output
        settings = get_settings()
        service = CredentialService(prepare(settings), settings)
        root = service.directory.root
        dids = {service.directory.did(root): service.directory.did_document(root)}
        credential = json.loads(out.read_text(encoding="utf-8"))
        lists = {e["statusListCredential"]: service.status_list(service.local_status_list_id(
            e["statusListCredential"]) or "")[0] for e in credential["credentialStatus"]}
        assert noderef.node_verify(credential, tmp_path / "node", dids=dids, lists=lists)["verified"]
        changed = json.loads(out.read_text(encoding="utf-8").replace("Ada Lovelace", "Ada Lovelacf"))
        assert not noderef.node_verify(changed, tmp_path / "node", dids=dids, lists=lists)["verified"]
        assert CliRunner().invoke(app, ["verify", str(out)]).exit_code == 0
    finally:
        get_settings.cache_clear()
