"""Issue and verify the same Open Badges 3.0 credential N times in Python (LEADS) and with the Node reference
libraries (Digital Bazaar, one Node process, tests/node/issue.mjs --loop); print one JSON line.

Both sides do the same work per credential: issue = eddsa-rdfc-2022 Data Integrity proof with an in-memory Ed25519
key and an offline context loader; verify = proof, proof purpose via the did:key document, and validity dates.
Each side runs ``BENCH_ROUNDS`` times (default 2) and its best round counts, so a busy machine hurts both less;
the ratios are also given on CPU time (``*_ratio_cpu``; Node's count includes its GC threads).
Targets: issue_ratio and verify_ratio >= 2.0.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from issuer.canon import get_canonicaliser  # noqa: E402
from issuer.did import DidResolver, did_key_verification_method  # noqa: E402
from issuer.keys import Ed25519Signer, encode_private_key  # noqa: E402
from issuer.proofs.dataintegrity import sign  # noqa: E402
from issuer.verify import verify_credential  # noqa: E402

NODE_DIR = ROOT / "tests" / "node"
CREATED = "2025-03-01T10:00:00Z"
N = int(os.environ.get("BENCH_N", "1000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))


def ob3_credential(issuer: str) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": "urn:uuid:6a3bde0c-5d1b-4b8e-9f3e-0d6f2b1c9a11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Wikimedia Learning Lab"},
        "validFrom": "2025-03-01T00:00:00Z",
        "name": "Wikidata editing: references",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{"type": "IdentityObject", "identityHash": "Ada Lovelace", "identityType": "name",
                            "hashed": False}],
            "achievement": {
                "id": "https://leads.example/entity/Q42",
                "type": ["Achievement"],
                "name": "Referencing statements on Wikidata",
                "description": "Adds verifiable references to Wikidata statements.",
                "criteria": {"narrative": "Completed the course with a passing grade."},
                "alignment": [{"type": ["Alignment"], "targetName": "use digital tools to collaborate",
                               "targetUrl": "http://data.europa.eu/esco/skill/0d5e7c8d-8f70-4e0e-9c53-a7bd4a2c2f5b",
                               "targetType": "ceterms:Skill"}],
            },
            "result": [{"type": ["Result"], "value": "92"}],
        },
    }


Rates = tuple[float, float, float, float]  # issue/s, verify/s (wall clock), issue/s, verify/s (CPU time)


def python_round(credential: dict[str, Any], signer: Ed25519Signer, vm: str) -> Rates:
    canon = get_canonicaliser("fast")
    resolver = DidResolver()
    now = datetime.now(UTC)
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(N):
        signed = sign(credential, signer, vm, created=CREATED, canonicaliser=canon)
    issue, issue_cpu = N / (time.perf_counter() - start), N / (time.process_time() - cpu)
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(N):
        report = verify_credential(signed, resolver=resolver, now=now, canonicaliser=canon)
    verify, verify_cpu = N / (time.perf_counter() - start), N / (time.process_time() - cpu)
    if not report.ok:
        raise SystemExit(f"python self-check failed: {report.summary()}")
    return issue, verify, issue_cpu, verify_cpu


def node_round(folder: Path) -> Rates:
    done = subprocess.run(
        ["node", str(NODE_DIR / "issue.mjs"), str(folder / "u.json"), str(folder / "k.json"), "--loop", str(N),
         "--date", CREATED],
        capture_output=True, text=True, check=False, timeout=1800,
    )
    if done.returncode != 0:
        raise SystemExit(f"node reference failed: {done.stdout} {done.stderr}")
    r = json.loads(done.stdout)
    return (float(r["issue_per_s"]), float(r["verify_per_s"]), float(r["issue_per_cpu_s"]),
            float(r["verify_per_cpu_s"]))


def main() -> None:
    if shutil.which("node") is None or not (NODE_DIR / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        raise SystemExit("The Node reference is not installed: run `make node-deps` (needs node and npm)")
    signer = Ed25519Signer.generate()
    did = f"did:key:{signer.public_key_multibase}"
    vm = did_key_verification_method(signer.public_key_multibase)
    credential = ob3_credential(did)
    seed = signer.private_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                            serialization.NoEncryption())
    python_round(credential, signer, vm)  # warm the context caches, as a running service would be
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "u.json").write_text(json.dumps(credential))
        (folder / "k.json").write_text(json.dumps({"secretKeyMultibase": encode_private_key(seed),
                                                   "publicKeyMultibase": signer.public_key_multibase,
                                                   "verificationMethod": vm}))
        py_rounds, node_rounds = [], []
        for _ in range(ROUNDS):  # interleave so that load from elsewhere falls on both sides alike
            py_rounds.append(python_round(credential, signer, vm))
            node_rounds.append(node_round(folder))
    issue, verify, issue_cpu, verify_cpu = (max(r[i] for r in py_rounds) for i in range(4))
    node_issue, node_verify, node_issue_cpu, node_verify_cpu = (max(r[i] for r in node_rounds) for i in range(4))
    print(json.dumps({
        "benchmark": "issuer",
        "n": N,
        "rounds": ROUNDS,
        "issue_per_s": round(issue, 1),
        "verify_per_s": round(verify, 1),
        "node_issue_per_s": round(node_issue, 1),
        "node_verify_per_s": round(node_verify, 1),
        "issue_ratio": round(issue / node_issue, 2),
        "verify_ratio": round(verify / node_verify, 2),
        "target_ratio": 2.0,
        # the same on CPU time, which a machine busy with other work distorts less than wall-clock time
        "issue_ratio_cpu": round(issue_cpu / node_issue_cpu, 2),
        "verify_ratio_cpu": round(verify_cpu / node_verify_cpu, 2),
        "canonicaliser": "fast",
        "load_average_1m": round(os.getloadavg()[0], 2),
        "ok": issue / node_issue >= 2.0 and verify / node_verify >= 2.0,
    }))


if __name__ == "__main__":
    main()
