"""The Node reference verifier (@digitalbazaar/vc + eddsa-rdfc-2022, pinned in tests/node) accepts an OB3 credential
issued through the API, status lists included, and rejects it once tampered or revoked."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.bridge.credentials.conftest import ADMIN, issue

ROOT = Path(__file__).resolve().parents[3]
NODE_DIR = ROOT / "tests" / "node"
SCRIPT = Path(__file__).with_name("node_verify.mjs")

pytestmark = pytest.mark.node


def node_verify(tmp: Path, client: TestClient, credential: dict[str, Any]) -> dict[str, Any]:
    dids = {doc["id"]: doc for doc in (client.get("/.well-known/did.json").json(),
                                       client.get("/issuers/wikimedia-es/did.json").json())}
    lists = {}
    for entry in credential["credentialStatus"]:
        url = entry["statusListCredential"]
        lists[url] = client.get(url.removeprefix("http://testserver")).json()
    return run_node(tmp, credential, dids, lists)


def run_node(tmp: Path, credential: dict[str, Any], dids: dict[str, Any], lists: dict[str, Any]) -> dict[str, Any]:
    if shutil.which("node") is None or not (NODE_DIR / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        pytest.fail("the Node reference verifier is not installed: run `make node-deps` (npm ci in tests/node)")
    files = {"CREDENTIAL": credential, "DIDS": dids, "LISTS": lists}
    env = {"PATH": "/usr/bin:/bin:/usr/local/bin"}
    for name, data in files.items():
        path = tmp / f"{name.lower()}.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        env[name] = str(path)
    done = subprocess.run(["node", "--input-type=module", "-e", SCRIPT.read_text(encoding="utf-8")],
                          cwd=NODE_DIR, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.stdout.strip(), done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert (done.returncode == 0) == result["verified"]
    return result


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
        assert run_node(tmp_path, credential, dids, lists)["verified"]
        changed = json.loads(out.read_text(encoding="utf-8").replace("Ada Lovelace", "Ada Lovelacf"))
        assert not run_node(tmp_path, changed, dids, lists)["verified"]
        assert CliRunner().invoke(app, ["verify", str(out)]).exit_code == 0
    finally:
        get_settings.cache_clear()
