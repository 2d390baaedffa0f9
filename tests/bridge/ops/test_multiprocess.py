"""Several processes, one scrape: with PROMETHEUS_MULTIPROC_DIR each process (web workers, award workers) writes its
counters to that directory and /metrics adds them up, whichever process answers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

COUNT = """
from bridge import metrics
metrics.ISSUED.labels("ob3").inc({n})
metrics.HTTP_REQUESTS.labels("GET", "/healthz", "200").inc()
"""
SCRAPE = """
from bridge.db import make_database, upgrade
from bridge.ops import metrics
db = make_database("sqlite:///{db}")
upgrade(db)
print(metrics.render(db).decode())
"""


def _run(code: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_counters_of_several_processes_add_up(tmp_path: Path) -> None:
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    _run(COUNT.format(n=2), env)  # two "web processes" that have exited
    _run(COUNT.format(n=3), env)
    text = _run(SCRAPE.format(db=tmp_path / "leads.db"), env)  # a third answers the scrape
    assert 'leads_credentials_issued_total{format="ob3"} 5.0' in text
    assert 'leads_http_requests_total{method="GET",route="/healthz",status="200"} 2.0' in text
    assert "leads_award_queue_depth" in text and "leads_worker_heartbeat_age_seconds -1.0" in text
    alone = _run(SCRAPE.format(db=tmp_path / "leads.db"), {k: v for k, v in env.items()
                                                            if k != "PROMETHEUS_MULTIPROC_DIR"})
    assert "leads_credentials_issued_total{" not in alone  # without the directory each process counts alone
