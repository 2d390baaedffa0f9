"""Cohort at MOOC scale: 10,000 and 100,000 learners end to end (grades in → awards → signed, status-indexed,
stored, PDF jobs queued), each run in its own process so its peak memory is its own; one JSON line.

Every learner passes the GLAM pilot's three assessments: four awards each (three micro-credentials and the stacked
certificate). The grades arrive at once through the outbox (``record_many``, multi-row inserts, 500 learners a
transaction) while ``leads worker --concurrency W`` signs them in batches. Targets, each a ratio within this run:

- linear: the large run takes at most 11× the small one;
- flat memory: the large run's peak resident memory (intake process and each worker) at most 1.3× the small one's;
- the pipeline adds little to signing: end-to-end credentials per second at least 70 % of the raw issuing rate
  (build + sign, nothing else) of the same number of worker processes, measured right before each run.

LEADS_BENCH_SCALE shrinks the sizes (0.1: 1,000 and 10,000 learners); PostgreSQL at LEADS_BENCH_POSTGRES_URL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from benchlib import emit, peak_rss_mb, postgres_database, scaled, sizes_in_processes  # noqa: E402

WORKERS = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 2)))
CHUNK = 500
DESIGN = "glam-archive-to-commons-certificate"
GRADES = (("glam-as-rights-quiz", 8, 10), ("glam-as-digitisation-portfolio", 61, 100), ("glam-as-upload-project", 4, 5))
AWARDS_PER_LEARNER = 4

_signer: dict[str, Any] = {}


def _init_signer(data_dir: str) -> None:
    from bridge.credentials.mapping import achievement_spec
    from bridge.dataspace import service as dataspace
    from bridge.dataspace.repository import EntityRepository
    from bridge.db import make_database
    from bridge.settings import Settings
    from bridge.trust.organisations import IssuerDirectory

    settings = Settings(data_dir=Path(data_dir), base_url="https://leads.example.org", load_sample=False)
    directory = IssuerDirectory(settings)
    db = make_database("sqlite://")
    from bridge.db import upgrade

    upgrade(db)
    dataspace.store(db, dataspace.read_design_set_file(dataspace.SAMPLE_DESIGN_SET))
    with db.session() as session:
        _signer["spec"] = achievement_spec(EntityRepository(session), DESIGN, settings.entity_base)
    _signer["signer"], _signer["method"] = directory.signer(directory.root)
    _signer["profile"] = directory.profile(directory.root)


def _sign(count: int) -> tuple[int, float]:
    """Build and sign ``count`` credentials: the raw issuing work, nothing else; (count, CPU seconds)."""
    from issuer.documents import AwardFacts, CredentialMeta, Learner, build_openbadge
    from issuer.proofs import dataintegrity

    began = time.process_time()
    now = datetime.now(UTC).replace(microsecond=0)
    status = ({"id": "https://leads.example.org/status/1#7", "type": "BitstringStatusListEntry",
               "statusPurpose": "revocation", "statusListIndex": "7",
               "statusListCredential": "https://leads.example.org/status/1"},)
    for i in range(count):
        meta = CredentialMeta(credential_id=f"urn:uuid:00000000-0000-4000-8000-{i:012d}", issued=now, status=status)
        doc = build_openbadge(_signer["spec"], Learner(name=f"Learner {i}"), AwardFacts(awarded=now, grade="A"),
                              _signer["profile"], meta)
        dataintegrity.sign(doc, _signer["signer"], _signer["method"], created=now)
    return count, time.process_time() - began


def raw_rate(data_dir: Path, total: int) -> tuple[float, float]:
    """Credentials per second of WORKERS processes doing nothing but build + sign (pool start excluded), and the
    CPU milliseconds one credential took."""
    with ProcessPoolExecutor(WORKERS, initializer=_init_signer, initargs=(str(data_dir),)) as pool:
        list(pool.map(_sign, [2] * WORKERS))  # warm: imports, canonicaliser, key
        per = max(1, total // (WORKERS * 8))
        began = time.perf_counter()
        parts = list(pool.map(_sign, [per] * (WORKERS * 8)))
        seconds = time.perf_counter() - began
        done = sum(n for n, _ in parts)
        return done / seconds, 1000 * sum(c for _, c in parts) / done


def _proc_cpu(pid: int) -> float:
    """CPU seconds of a process so far (Linux /proc; 0 where unreadable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _tree_cpu(pid: int) -> float:
    """CPU seconds of ``leads worker`` and its worker processes so far: the timed part is a difference of two
    readings, so start-up (imports, keys) is left out."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return _proc_cpu(pid) + sum(_proc_cpu(int(c)) for c in children)


def _postgres_cpu(db: Any) -> float:
    """CPU seconds of this database's server processes so far (Linux /proc, same machine; 0 where unreadable):
    what the pipeline costs PostgreSQL, on the same cores here."""
    from sqlalchemy import text

    with db.engine.connect() as conn:
        pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars()
        return sum(_proc_cpu(pid) for pid in pids)


def run(learners: int) -> dict[str, Any]:
    """One cohort end to end on a fresh database (called in a child process: ``--run N``)."""
    from sqlalchemy import func, or_, select

    from bridge.awards import service
    from bridge.awards.service import GradeInput
    from bridge.awards.tables import URGENT_QUEUE, Job
    from bridge.dataspace import service as dataspace
    from bridge.db import make_database, upgrade
    from bridge.settings import Settings
    from bridge.trust.organisations import IssuerDirectory

    with postgres_database("leads_bench_scale") as url, tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        db = make_database(url)
        upgrade(db)
        dataspace.store(db, dataspace.read_design_set_file(dataspace.SAMPLE_DESIGN_SET))
        settings = Settings(data_dir=data_dir, base_url="https://leads.example.org", load_sample=False)
        directory = IssuerDirectory(settings)
        directory.signer(directory.root)
        with db.session() as session:
            rules = service.load_rules(session)
        raw_before, raw_cpu_before = raw_rate(data_dir, min(learners * AWARDS_PER_LEARNER, 6000))
        env = {**os.environ, "LEADS_DATABASE_URL": url, "LEADS_DATA_DIR": str(data_dir),
               "LEADS_LOAD_SAMPLE": "false", "LEADS_BASE_URL": settings.base_url, "LEADS_AWARDS_ISSUER": "credentials",
               "LEADS_AWARDS_BATCH": os.environ.get("LEADS_AWARDS_BATCH", "200"),
               "LEADS_AWARDS_IDLE_SECONDS": "0.2", "PYTHONPATH": str(ROOT)}
        workers = subprocess.Popen([sys.executable, "-c", "from bridge.cli import app; app()", "worker",
                                    "--concurrency", str(WORKERS)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        ready = 0  # running workers wait for grades, as in production: their start-up is not timed
        assert workers.stderr is not None
        while ready < WORKERS:
            line = workers.stderr.readline()
            if not line:
                raise SystemExit("the workers stopped before starting")
            ready += " started (issuer " in line
        threading.Thread(target=workers.stderr.read, daemon=True).start()  # drain the log
        postgres_before, workers_before = _postgres_cpu(db), _tree_cpu(workers.pid)
        start, intake_cpu = time.perf_counter(), time.process_time()
        for first in range(0, learners, CHUNK):
            grades = [GradeInput(source="bench", learner=f"bench:{i}", learner_name=f"Learner {i}", design=DESIGN,
                                 assessment=key, score=score, maximum=maximum, event_id=f"{i}:{key}")
                      for i in range(first, min(learners, first + CHUNK)) for key, score, maximum in GRADES]
            with db.session() as session:
                service.record_many(session, rules, grades)
        intake, intake_cpu = time.perf_counter() - start, time.process_time() - intake_cpu
        total = learners * AWARDS_PER_LEARNER
        try:
            # Is issuance work left? One statement (one snapshot: a job moving between queued and running is seen
            # once) of cheap questions, the queued ones through the claim's partial index; a count of done jobs
            # would read every one of them, four times a second, and make the large run pay for its own poll.
            left = or_(select(Job.id).where(URGENT_QUEUE).exists(),
                       select(Job.id).where(Job.state == "running", Job.kind == "issue").exists())
            failed = select(Job.id).where(Job.state == "failed").exists()
            while True:
                with db.engine.connect() as conn:
                    busy, broken = conn.execute(select(left, failed)).one()
                    if broken:
                        n = conn.execute(select(func.count()).select_from(Job).where(Job.state == "failed"))
                        raise SystemExit(f"{n.scalar_one()} job(s) failed")
                if not busy:
                    break
                time.sleep(0.25)
            seconds = time.perf_counter() - start
            postgres_cpu = _postgres_cpu(db) - postgres_before
            workers_cpu = _tree_cpu(workers.pid) - workers_before  # with the PDFs rendered meanwhile
            with db.engine.connect() as conn:
                done = conn.execute(select(func.count()).select_from(Job)
                                    .where(Job.state == "done", Job.kind == "issue")).scalar_one()
                if done != total:
                    raise SystemExit(f"{done} of {total} issue jobs done when none was left to do")
                pdfs = conn.execute(select(func.count()).select_from(Job).where(Job.kind == "pdf")).scalar_one()
                rendered = conn.execute(select(func.count()).select_from(Job)
                                        .where(Job.kind == "pdf", Job.state == "done")).scalar_one()
        finally:
            workers.send_signal(signal.SIGTERM)
            workers.wait(120)
            db.engine.dispose()
        raw_after, raw_cpu_after = raw_rate(data_dir, min(total, 6000))
        raw = (raw_before + raw_after) / 2  # before and after: the load moves
    peak = peak_rss_mb()
    return {"learners": learners, "credentials": total, "seconds": round(seconds, 2),
            "intake_seconds": round(intake, 2), "credentials_per_s": round(total / seconds, 1),
            "raw_issue_per_s": round(raw, 1), "pdf_jobs_queued": pdfs, "pdfs_rendered_meanwhile": rendered,
            "cpu_ms_per_credential": {"raw": round((raw_cpu_before + raw_cpu_after) / 2, 3),
                                      "workers": round(1000 * workers_cpu / total, 3),
                                      "postgres": round(1000 * postgres_cpu / total, 3),
                                      "intake": round(1000 * intake_cpu / total, 3)},
            "peak_rss_mb": {"intake": peak["self"], "worker": peak["children"]}}


def main() -> None:
    small, large = scaled(10_000, 10), scaled(100_000, 100)
    runs = sizes_in_processes(__file__, run, (small, large))
    a, b = runs
    time_ratio = b["seconds"] / a["seconds"]
    memory_ratio = max(b["peak_rss_mb"][k] / a["peak_rss_mb"][k] for k in ("intake", "worker"))
    pipeline = min(r["credentials_per_s"] / r["raw_issue_per_s"] for r in runs)
    size_ratio = large / small
    emit({"benchmark": "cohort_scale", "workers": WORKERS, "runs": runs,
          "time_ratio": round(time_ratio, 2), "target_time_ratio_max": round(1.1 * size_ratio, 2),
          "memory_ratio": round(memory_ratio, 2), "target_memory_ratio_max": 1.3,
          "pipeline_vs_raw": round(pipeline, 2), "target_pipeline_vs_raw_min": 0.7,
          "ok": time_ratio <= 1.1 * size_ratio and memory_ratio <= 1.3 and pipeline >= 0.7})


if __name__ == "__main__":
    main()
