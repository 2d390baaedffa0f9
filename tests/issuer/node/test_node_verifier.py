"""The Digital Bazaar reference libraries (pinned in tests/node) verify what LEADS signs, reject a one-character
change, and sign the same credential to the same proofValue (Ed25519 is deterministic)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from issuer.did import DidResolver, did_key_verification_method, did_web_document
from issuer.keys import Ed25519Signer, FileKeyStore, encode_private_key
from issuer.proofs.dataintegrity import sign
from issuer.verify import verify_credential
from tests.issuer.samples import ob3_credential

pytestmark = pytest.mark.node

NODE_DIR = Path(__file__).resolve().parents[2] / "node"
NOW = datetime(2025, 6, 1, tzinfo=UTC)
CREATED = "2025-03-01T10:00:00Z"
DID = "did:web:leads.example.org:issuers:wmde"


@pytest.fixture(scope="module")
def node() -> str:
    executable = shutil.which("node")
    if executable is None:
        pytest.fail("Node.js is not installed; the reference verifier needs it (apt-get install nodejs npm)")
    if not (NODE_DIR / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        pytest.fail("The Node reference verifier is not installed: run `make node-deps` "
                    "(npm ci in tests/node, from the pinned package-lock.json)")
    return executable


def _run(node: str, script: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([node, str(NODE_DIR / script), *args], input=stdin, capture_output=True, text=True,
                          timeout=60, check=False)


def _node_verify(node: str, credential: dict[str, Any], tmp_path: Path, dids: list[dict[str, Any]]) -> Any:
    (tmp_path / "dids.json").write_text(json.dumps(dids))
    (tmp_path / "c.json").write_text(json.dumps(credential))
    done = _run(node, "verify.mjs", str(tmp_path / "c.json"), "--dids", str(tmp_path / "dids.json"))
    assert done.stdout, done.stderr
    return json.loads(done.stdout)


def test_node_verifies_a_did_web_credential_and_rejects_one_changed_character(node: str, tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys")
    signer = store.active()
    credential = sign(ob3_credential(DID), signer, f"{DID}#{signer.key_id}", created=CREATED)
    dids = [did_web_document(DID, store.keys())]
    assert _node_verify(node, credential, tmp_path, dids) == {"verified": True, "errors": []}
    resolver = DidResolver(known={DID: dids[0]})
    assert verify_credential(credential, resolver=resolver, now=NOW).ok

    tampered = json.loads(json.dumps(credential).replace("Ada Lovelace", "Ada Lovelacf"))
    answer = _node_verify(node, tampered, tmp_path, dids)
    assert answer["verified"] is False and answer["errors"]
    report = verify_credential(tampered, resolver=resolver, now=NOW)
    assert [c.name for c in report.failed] == ["proof"]


def test_node_verifies_after_rotation(node: str, tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys")
    old = store.active()
    credential = sign(ob3_credential(DID), old, f"{DID}#{old.key_id}", created=CREATED)
    store.rotate()
    assert _node_verify(node, credential, tmp_path, [did_web_document(DID, store.keys())])["verified"] is True


def test_node_signs_the_same_proof_value_and_stdin_works(node: str, tmp_path: Path) -> None:
    signer = Ed25519Signer.generate()
    did = f"did:key:{signer.public_key_multibase}"
    vm = did_key_verification_method(signer.public_key_multibase)
    seed = signer.private_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                            serialization.NoEncryption())
    (tmp_path / "key.json").write_text(json.dumps({"secretKeyMultibase": encode_private_key(seed),
                                                   "publicKeyMultibase": signer.public_key_multibase,
                                                   "verificationMethod": vm}))
    (tmp_path / "u.json").write_text(json.dumps(ob3_credential(did)))
    done = _run(node, "issue.mjs", str(tmp_path / "u.json"), str(tmp_path / "key.json"), "--date", CREATED)
    assert done.returncode == 0, done.stderr
    by_node = json.loads(done.stdout)
    ours = sign(ob3_credential(did), signer, vm, created=CREATED)
    assert by_node == ours
    verified = _run(node, "verify.mjs", "-", stdin=json.dumps(ours))
    assert json.loads(verified.stdout) == {"verified": True, "errors": []}
    assert verify_credential(by_node, resolver=DidResolver(), now=NOW).ok
