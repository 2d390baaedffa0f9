"""Award pipeline end to end: a cohort (default 10,000 learners, ``BENCH_COHORT``) whose grades arrive at once.

Every learner passes the three assessments of the GLAM pilot, so each earns three micro-credentials and the
stacked certificate (4 awards per learner). Timed from the first grade to the last credential: the grades are
recorded through the outbox in chunks (decision, awards, jobs in one transaction per chunk), then
``leads worker --concurrency 2`` (a worker process per core) signs with the real credential service (status
indexes, storage) in batches of ``LEADS_AWARDS_BATCH`` (default here 100) and queues a PDF job per credential
(claimed after the issuance work, so rendered mostly after it; the PDFs are not timed).
Needs PostgreSQL (``LEADS_BENCH_POSTGRES_URL``, default the test server); prints one JSON line
``{"cohort": …, "awards": …, "seconds": …, "intake_seconds": …, "peak_rss_mb": …}``.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

from bridge.awards import service  # noqa: E402
from bridge.awards.service import GradeInput  # noqa: E402
from bridge.awards.tables import Job  # noqa: E402
from bridge.dataspace import service as dataspace  # noqa: E402
from bridge.db import make_database, upgrade  # noqa: E402
from bridge.settings import Settings  # noqa: E402
from bridge.trust.organisations import IssuerDirectory  # noqa: E402

SCALE = float(os.environ.get("LEADS_BENCH_SCALE", "1"))  # shrinks the default size for a quick run
COHORT = int(os.environ.get("BENCH_COHORT", str(max(10, round(10000 * SCALE)))))
CHUNK = 500
BATCH = os.environ.get("LEADS_AWARDS_BATCH", "100")  # jobs a worker claims at once (one signing batch)
URL = os.environ.get("LEADS_BENCH_POSTGRES_URL", os.environ.get(
    "LEADS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
DESIGN = "glam-archive-to-commons-certificate"
GRADES = (("glam-as-rights-quiz", 8, 10), ("glam-as-digitisation-portfolio", 61, 100), ("glam-as-upload-project", 4, 5))


def main() -> None:
    admin = create_engine(URL, isolation_level="AUTOCOMMIT")
    name = f"leads_bench_awards_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = URL.rsplit("/", 1)[0] + "/" + name
    try:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(run(url, Path(tmp))))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(url: str, data_dir: Path) -> dict[str, object]:
    db = make_database(url)
    upgrade(db)
    dataspace.store(db, dataspace.read_design_set_file(dataspace.SAMPLE_DESIGN_SET))
    settings = Settings(data_dir=data_dir, base_url="https://leads.example.org", load_sample=False)
    directory = IssuerDirectory(settings)
    directory.signer(directory.root)  # the key ring exists before the workers start
    with db.session() as session:
        rules = service.load_rules(session)

    env = {**os.environ, "LEADS_DATABASE_URL": url, "LEADS_DATA_DIR": str(data_dir), "LEADS_LOAD_SAMPLE": "false",
           "LEADS_BASE_URL": settings.base_url, "LEADS_AWARDS_ISSUER": "credentials", "LEADS_AWARDS_BATCH": BATCH,
           "LEADS_AWARDS_IDLE_SECONDS": "0.2", "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    workers = subprocess.Popen([sys.executable, "-c", "from bridge.cli import app; app()", "worker",
                                "--concurrency", "2"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    for first in range(0, COHORT, CHUNK):  # the grades arrive at once; workers start on the first chunk
        grades = [GradeInput(source="bench", learner=f"bench:{i}", learner_name=f"Learner {i}", design=DESIGN,
                             assessment=key, score=score, maximum=maximum, event_id=f"{i}:{key}")
                  for i in range(first, min(COHORT, first + CHUNK)) for key, score, maximum in GRADES]
        with db.session() as session:
            service.record_many(session, rules, grades)
    intake = time.perf_counter() - start
    total = COHORT * 4
    try:
        while True:
            with db.engine.connect() as conn:
                done = conn.execute(select(func.count()).select_from(Job)
                                    .where(Job.state == "done", Job.kind == "issue")).scalar_one()
                failed = conn.execute(select(func.count()).select_from(Job).where(Job.state == "failed")).scalar_one()
            if failed:
                raise SystemExit(f"{failed} job(s) failed; see `leads awards failed`")
            if done >= total:
                break
            time.sleep(0.2)
        seconds = time.perf_counter() - start
    finally:
        workers.send_signal(signal.SIGTERM)
        workers.wait(60)
        db.engine.dispose()
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    # no target of its own: the ratios of this pipeline are the "cohort_scale" line; ok = every award issued
    return {"benchmark": "awards", "cohort": COHORT, "awards": total, "ok": True,
            "seconds": round(seconds, 2), "intake_seconds": round(intake, 2),
            "peak_rss_mb": round(peak / 1024, 1)}


if __name__ == "__main__":
    main()
