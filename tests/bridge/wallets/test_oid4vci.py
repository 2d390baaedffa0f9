"""The whole OpenID4VCI 1.0 pre-authorized code flow, run by an independent wallet (@openid4vc/openid4vci from npm,
pinned in tests/node) over loopback against the served app: the credential it receives names the wallet's DID,
passes the Node reference verifier and ``leads verify``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from issuer.proofs.jose import peek
from tests import noderef
from tests.bridge.wallets.conftest import Site

NODE_DIR = Path(__file__).resolve().parents[2] / "node"
LDP = "OpenBadgeCredential_ldp_vc"
JWT = "OpenBadgeCredential_jwt_vc_json"

pytestmark = pytest.mark.node


def wallet(offer: str, *args: str) -> tuple[int, dict[str, Any]]:
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "@openid4vc" / "openid4vci").is_dir():
        pytest.fail("the npm wallet client is not installed: run `make node-deps` (npm ci in tests/node)")
    done = subprocess.run([node, str(NODE_DIR / "wallet.mjs"), offer, "--insecure", *args], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.stdout.strip(), done.stderr
    return done.returncode, json.loads(done.stdout.strip().splitlines()[-1])


def node_check(site: Site, credential: dict[str, Any], tmp: Path) -> dict[str, Any]:
    dids = [site.http.get("/.well-known/did.json").json()]
    lists = {e["statusListCredential"]: site.http.get(e["statusListCredential"]).json()
             for e in credential["credentialStatus"]}
    return noderef.node_verify(credential, tmp, dids=dids, lists=lists)


def leads_verify(site: Site, path: Path) -> subprocess.CompletedProcess[str]:
    """``leads verify FILE`` in its own process, on the served app's database and keys."""
    env = {**os.environ, "LEADS_DATA_DIR": str(site.settings.data_dir), "LEADS_BASE_URL": site.base,
           "LEADS_DATABASE_URL": site.db.engine.url.render_as_string(hide_password=False)}
    return subprocess.run([sys.executable, "-c", "from bridge.cli import app; app()", "verify", str(path)], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_metadata_is_openid4vci_1_0(site: Site) -> None:
    meta = site.http.get("/.well-known/openid-credential-issuer").json()
    assert meta["credential_issuer"] == site.base and meta["nonce_endpoint"] == f"{site.base}/oid4vci/nonce"
    assert set(meta["credential_configurations_supported"]) == {LDP, JWT}
    ldp = meta["credential_configurations_supported"][LDP]
    assert ldp["format"] == "ldp_vc" and ldp["cryptographic_binding_methods_supported"] == ["did:key", "did:jwk"]
    assert "credential_metadata" in ldp  # 1.0 final, not a draft
    auth = site.http.get("/.well-known/oauth-authorization-server").json()
    assert auth["token_endpoint"] == f"{site.base}/oid4vci/token"
    assert auth["pre-authorized_grant_anonymous_access_supported"] is True


def test_npm_wallet_receives_a_holder_bound_ob3_that_node_and_leads_verify(
        site: Site, tmp_path: Path) -> None:
    code, got = wallet(site.offer_uri(), "--config", LDP, "--key", "ed25519", "--bind", "did:key")
    assert code == 0, got
    assert got["version"] == "V1"  # the client read our metadata as OpenID4VCI 1.0 (final)
    credential = got["credentials"][LDP]
    assert got["holder"].startswith("did:key:z6Mk")
    assert credential["credentialSubject"]["id"] == got["holder"]
    assert credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert node_check(site, credential, tmp_path / "node") == {"verified": True, "errors": []}
    (tmp_path / "c.json").write_text(json.dumps(credential))
    result = leads_verify(site, tmp_path / "c.json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS  proof" in result.stdout and "PASS  status" in result.stdout


def test_npm_wallet_receives_the_vc_jose_one_bound_to_a_did_jwk(
        site: Site, tmp_path: Path) -> None:
    code, got = wallet(site.offer_uri(), "--config", f"{LDP},{JWT}", "--key", "p256", "--bind", "did:jwk")
    assert code == 0, got
    assert got["holder"].startswith("did:jwk:")
    token = got["credentials"][JWT]
    assert isinstance(token, str)
    parts = peek(token)
    assert parts.header["typ"] == "vc+jwt" and parts.payload["credentialSubject"]["id"] == got["holder"]
    assert got["credentials"][LDP]["credentialSubject"]["id"] == got["holder"]
    assert node_check(site, got["credentials"][LDP], tmp_path / "node") == {"verified": True, "errors": []}
    (tmp_path / "c.jwt").write_text(token)
    result = leads_verify(site, tmp_path / "c.jwt")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS  proof" in result.stdout


def test_a_bare_jwk_binds_its_did_jwk(site: Site) -> None:
    code, got = wallet(site.offer_uri(), "--config", LDP, "--key", "ed25519", "--bind", "jwk")
    assert code == 0, got
    assert got["credentials"][LDP]["credentialSubject"]["id"] == got["holder"]


def test_the_npm_wallet_cannot_use_an_offer_twice(site: Site) -> None:
    offer = site.offer_uri()
    assert wallet(offer, "--config", LDP)[0] == 0
    code, got = wallet(offer, "--config", LDP)
    assert code == 1 and "invalid_grant" in json.dumps(got) and "already used" in json.dumps(got)
