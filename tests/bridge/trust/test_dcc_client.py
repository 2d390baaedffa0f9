"""LEADS reads DCC issuer registries the way the DCC's own client does: the same registry files, served on
loopback, looked up by ``@digitalcredentials/issuer-registry-client`` (pinned, in tests/node) and by LEADS."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from bridge.settings import RegistrySource
from bridge.trust.sources import RegistrySources
from tests.bridge.trust.test_sources import Host, host

__all__ = ["host"]
NODE_DIR = Path(__file__).resolve().parents[2] / "node"
COMMUNITY = {  # the shape of https://digitalcredentials.github.io/community-registry/registry.json
    "meta": {"created": "2022-10-27T17:57:31+00:00", "updated": "2022-10-27T17:57:31+00:00"},
    "registry": {
        "did:key:z6MkpLDL3RoAoMRTwTgo3rs39ZwssfaPKtGdZw7AGRN7CK4W": {
            "name": "My University", "location": "Cambridge, MA, USA", "url": "https://digitalcredentials.mit.edu"},
        "did:web:credentials.myschool.ca": {
            "name": "My School", "location": "Ancaster, ON, Canada", "url": "https://some.domain.ca"},
        "did:web:www.credly.com:api:v1:obi:v3:issuers:ede32dcc-9168-4563-9352-8725936d5231": {
            "name": "Credly Test OBv3 PM"},
    },
}


def _dcc_lookup(config: list[dict[str, Any]], dids: list[str], tmp: Path) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "@digitalcredentials" / "issuer-registry-client").is_dir():
        pytest.fail("the DCC registry client is not installed: run `make node-deps` (npm ci in tests/node)")
    path = tmp / "known-did-registries.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    done = subprocess.run([node, str(NODE_DIR / "registry.mjs"), str(path), *dids], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0 and done.stdout.strip(), done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_leads_and_the_dcc_client_agree_on_a_registry(host: Host, tmp_path: Path) -> None:
    host.serve(COMMUNITY)
    config = [{"name": "DCC Community Registry", "type": "dcc-legacy", "url": host.url}]
    dids = [*COMMUNITY["registry"], "did:key:z6MkwcvAGvRUZk5TjdAZrBwQdaSYwDTbpEGjCrqR5zWU3Yf3"]
    dcc = _dcc_lookup(config, dids, tmp_path)
    assert dcc["loaded"] == [{"name": "DCC Community Registry", "loaded": True}]

    ours = RegistrySources([RegistrySource.model_validate(c) for c in config], tmp_path / "cache",
                           refresh_seconds=3600, fetch=lambda url: httpx.get(url, timeout=5).content)
    for did in dids:
        entry = ours.lookup(did)
        theirs = dcc["entries"][did]
        if theirs is None:
            assert entry is None, did
            continue
        assert entry is not None, did
        assert (entry.name, entry.url, entry.location) == (theirs["name"], theirs["url"], theirs["location"]), did
        assert theirs["registries"] == [entry.registry]
