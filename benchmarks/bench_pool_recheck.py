"""Pool re-check at scale: 100,000 published credentials from 10 issuers, one pass; one JSON line.

The credentials are issued by ten issuing organisations of one installation (``issuers.json``), published in the
pool as any holder's would be (no shortcut through this installation's own records: every entry is verified with
its proof and both status lists), then re-checked with ``bridge.pool.service.recheck`` — pages of entries, each
status list fetched once per pass — and the empty profiles tidied after it, as the scheduled job does. The reference
is the raw verification of the same credentials in the same run (``Verifier.for_pass().verify``, read from the same
table, nothing written), measured before and after the pass.
Target: re-check time at most 1.2× raw; each status list fetched once. LEADS_BENCH_SCALE shrinks the size.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from benchlib import emit, peak_rss_mb, postgres_database, scaled  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

ISSUERS = 10
WORKERS = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 2)))
DESIGN = "glam-mc-rights"
CHUNK = 250
_w: dict[str, Any] = {}


def _settings(url: str, data_dir: str) -> Any:
    from bridge.settings import Settings

    return Settings(data_dir=Path(data_dir), database_url=url, base_url="https://leads.example.org",
                    load_sample=True)


def _init(url: str, data_dir: str) -> None:
    from bridge.credentials.service import CredentialService
    from bridge.db import make_database

    _w["service"] = CredentialService(make_database(url), _settings(url, data_dir))


def _issue(args: tuple[str, int, int]) -> int:
    from bridge.credentials.service import IssueInput

    slug, first, count = args
    _w["service"].issue_many([IssueInput(design_key=DESIGN, learner_name=f"Learner {i}", issuer_slug=slug,
                                         award_id=f"bench:{i}") for i in range(first, first + count)])
    return count


def main() -> None:
    n = scaled(100_000, ISSUERS * 10)
    with postgres_database("leads_bench_pool") as url, tempfile.TemporaryDirectory() as tmp:
        run(url, Path(tmp), n)


def run(url: str, data_dir: Path, n: int) -> dict[str, Any]:
    from bridge.credentials.service import CredentialService
    from bridge.credentials.verification import Verifier
    from bridge.pool import service as pool
    from bridge.pool.retention import tidy
    from bridge.pool.tables import PoolEntry
    from bridge.pool.verifier import PoolVerifier
    from bridge.startup import prepare

    orgs = [{"slug": "leads" if i == 0 else f"issuer{i}", "names": {"en": f"Issuer {i}"},
             "legal_identifier": f"BENCH-{i}", "root": i == 0} for i in range(ISSUERS)]
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "issuers.json").write_text(json.dumps(orgs), encoding="utf-8")
    settings = _settings(url, str(data_dir))
    db = prepare(settings)
    service = CredentialService(db, settings)
    for org in service.directory.orgs.values():
        service.directory.signer(org)  # key rings exist before the signing processes start

    began = time.perf_counter()
    per = n // ISSUERS
    work = [(orgs[i]["slug"], i * per + first, min(CHUNK, per - first))
            for i in range(ISSUERS) for first in range(0, per, CHUNK)]
    with ProcessPoolExecutor(WORKERS, initializer=_init, initargs=(url, str(data_dir))) as procs:
        issued = sum(procs.map(_issue, work))
    issue_seconds = time.perf_counter() - began
    profile, _ = pool.create_profile(db, handle="bench", display_name="Bench holder")
    with db.engine.begin() as conn:  # published as any holder's credential: no link to this installation's row
        conn.execute(text(
            "INSERT INTO pool_entries (profile_id, fingerprint, credential, issuer, title, design_key, verified_at, "
            "issuer_name, state, failures, published_at) SELECT :pid, md5(id), document, issuer_slug, design_key, "
            "design_key, now(), '', 'verified', 0, now() FROM issued_credentials"), {"pid": profile.id})

    fetched: Counter[str] = Counter()
    status_list = service.status_list

    def counting(list_id: str) -> tuple[dict[str, Any], int]:
        fetched[list_id] += 1
        return status_list(list_id)

    service.status_list = counting  # type: ignore[method-assign]

    def raw() -> float:
        verifier = Verifier(service).for_pass()
        start, last, ok = time.perf_counter(), 0, 0
        while True:
            with db.session() as session:
                rows = session.execute(select(PoolEntry.id, PoolEntry.credential).where(PoolEntry.id > last)
                                       .order_by(PoolEntry.id).limit(pool.RECHECK_PAGE)).all()
            if not rows:
                break
            last = rows[-1][0]
            ok += sum(verifier.verify(credential).verdict == "verified" for _, credential in rows)
        assert ok == issued, f"only {ok} of {issued} verified"
        verifier.close()
        return time.perf_counter() - start

    raw_before = raw()
    fetched.clear()
    start = time.perf_counter()
    inner = Verifier(service)
    result = pool.recheck(db, PoolVerifier(inner, "installation"))
    tidy_start = time.perf_counter()
    tidy(db, datetime.now(UTC), timedelta(days=30))  # the scheduled job's last step: profiles left empty
    recheck_seconds = time.perf_counter() - start
    tidy_seconds = time.perf_counter() - tidy_start
    inner.close()
    recheck_fetches = dict(fetched)
    raw_after = raw()
    raw_seconds = (raw_before + raw_after) / 2
    db.engine.dispose()
    ratio = recheck_seconds / raw_seconds
    once = bool(recheck_fetches) and max(recheck_fetches.values()) == 1
    line = {"benchmark": "pool_recheck", "credentials": issued, "issuers": ISSUERS,
            "issue_seconds": round(issue_seconds, 1), "recheck_seconds": round(recheck_seconds, 2),
            "of_which_empty_profiles_tidy_seconds": round(tidy_seconds, 3),
            "raw_verify_seconds": {"before": round(raw_before, 2), "after": round(raw_after, 2)},
            "verified": len(result.verified), "status_lists": len(recheck_fetches),
            "max_fetches_per_list": max(recheck_fetches.values(), default=0),
            "recheck_per_s": round(issued / recheck_seconds, 1), "peak_rss_mb": peak_rss_mb()["self"],
            "ratio_vs_raw": round(ratio, 2), "target_ratio_max": 1.2, "each_list_fetched_once": once,
            "ok": ratio <= 1.2 and once and len(result.verified) == issued}
    emit(line)
    return line


if __name__ == "__main__":
    main()
