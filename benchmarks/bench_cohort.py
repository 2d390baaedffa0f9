"""Cohort issuance: N awards (default 10,000) signed, status-indexed and stored, using every core; one JSON line.

The whole path of ``POST /api/credentials`` minus HTTP: the design is read from the data space once, 2 × N status
indexes (revocation + suspension) are drawn at random from the database status lists, the OB3 documents are built
and signed with eddsa-rdfc-2022 in a process pool (one worker per core, each with its own canonicaliser and key),
and the signed credentials are stored in the database in batches. Target: under 60 s for 10,000.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bridge.app import prepare  # noqa: E402
from bridge.credentials.mapping import achievement_spec  # noqa: E402
from bridge.credentials.service import CredentialService  # noqa: E402
from bridge.credentials.status_store import DbStatusStore  # noqa: E402
from bridge.credentials.tables import IssuedCredentialRow  # noqa: E402
from bridge.dataspace.repository import EntityRepository  # noqa: E402
from bridge.settings import Settings  # noqa: E402
from bridge.trust.organisations import IssuerDirectory  # noqa: E402
from issuer.documents import (  # noqa: E402
    AchievementSpec,
    AwardFacts,
    CredentialMeta,
    IssuerProfile,
    Learner,
    build_openbadge,
)
from issuer.keys import Ed25519Signer, encode_private_key  # noqa: E402
from issuer.proofs import dataintegrity  # noqa: E402
from issuer.status import StatusPurpose  # noqa: E402

SCALE = float(os.environ.get("LEADS_BENCH_SCALE", "1"))  # shrinks the default size for a quick run
N = int(os.environ.get("BENCH_COHORT_N", str(max(10, round(10000 * SCALE)))))
WORKERS = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 2)))
CHUNK = 250
DESIGN = "glam-mc-rights"

_worker: dict[str, Any] = {}


def _init(secret: str, method: str, spec: AchievementSpec, profile: IssuerProfile) -> None:
    _worker.update(signer=Ed25519Signer.from_multibase(secret), method=method, spec=spec, profile=profile)


def _sign_chunk(items: list[tuple[str, str, list[dict[str, Any]]]],
                now: datetime) -> tuple[float, list[tuple[str, dict[str, Any]]]]:
    began = time.process_time()
    out = []
    facts = AwardFacts(awarded=now, grade="A")
    for row_id, name, entries in items:
        meta = CredentialMeta(credential_id=f"urn:uuid:{row_id}", issued=now, status=tuple(entries))
        doc = build_openbadge(_worker["spec"], Learner(name=name), facts, _worker["profile"], meta)
        out.append((row_id, dataintegrity.sign(doc, _worker["signer"], _worker["method"], created=now)))
    return time.process_time() - began, out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "var", database_url=os.environ.get("BENCH_DATABASE_URL"),
                            load_sample=True)
        db = prepare(settings)
        service = CredentialService(db, settings, directory=IssuerDirectory(settings))
        org = service.directory.root
        signer, method = service.directory.signer(org)
        secret = encode_private_key(signer.private_key.private_bytes_raw())  # handed to the workers in memory
        now = datetime.now(UTC).replace(microsecond=0)

        start = time.perf_counter()
        with db.session() as session:
            spec = achievement_spec(EntityRepository(session), DESIGN, settings.entity_base)
            store = DbStatusStore(session, org.slug)
            revocations = store.allocate(StatusPurpose.REVOCATION, N)
            suspensions = store.allocate(StatusPurpose.SUSPENSION, N)
        allocated = time.perf_counter()
        work = []
        for i, (r, s) in enumerate(zip(revocations, suspensions, strict=True)):
            entries = [r.entry(service.status_url(r.list_id)), s.entry(service.status_url(s.list_id))]
            work.append((str(uuid.uuid4()), f"Learner {i:05d}", entries))
        chunks = [work[i:i + CHUNK] for i in range(0, N, CHUNK)]
        status_of = {row_id: (r, s) for (row_id, _, _), r, s in zip(work, revocations, suspensions, strict=True)}
        stored = 0
        sign_cpu = store_seconds = 0.0
        with ProcessPoolExecutor(WORKERS, initializer=_init,
                                 initargs=(secret, method, spec, service.directory.profile(org))) as pool:
            for cpu, signed in pool.map(_sign_chunk, chunks, [now] * len(chunks)):
                sign_cpu += cpu
                began = time.perf_counter()
                rows = []
                for row_id, document in signed:
                    r, s = status_of[row_id]
                    rows.append({"id": row_id, "design_key": DESIGN, "issuer_slug": org.slug,
                                 "learner_name": document["credentialSubject"]["identifier"][0]["identityHash"],
                                 "format": "ob3", "document": document, "revocation_list": r.list_id,
                                 "revocation_index": r.index, "suspension_list": s.list_id,
                                 "suspension_index": s.index, "revoked": False, "suspended": False, "created": now})
                with db.session() as session:
                    session.execute(insert(IssuedCredentialRow), rows)
                stored += len(signed)
                store_seconds += time.perf_counter() - began
        seconds = time.perf_counter() - start
        # spot check: a stored credential verifies with the installation's own verifier
        from bridge.credentials.verification import Verifier

        sample = service.get(work[-1][0]).document
        verified = Verifier(service).verify(sample).ok
        db.engine.dispose()
    print(json.dumps({
        "benchmark": "cohort", "n": N, "stored": stored, "workers": WORKERS, "seconds": round(seconds, 2),
        "allocate_seconds": round(allocated - start, 2), "awards_per_s": round(N / seconds, 1),
        "sign_cpu_ms_per_award": round(1000 * sign_cpu / N, 2), "store_seconds": round(store_seconds, 2),
        "load_average": round(os.getloadavg()[0], 1),
        "target_seconds": 60, "ok": seconds < 60 and stored == N and verified, "sample_verified": verified,
    }))


if __name__ == "__main__":
    main()
