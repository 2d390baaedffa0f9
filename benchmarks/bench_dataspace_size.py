"""What a request costs as the data space grows: the same requests on the bundled sample, then with 2,000 more
competences (a data space of a large movement); one JSON line.

Each request is served in process (FastAPI's test client, PostgreSQL) and timed in CPU milliseconds over
``BENCH_REQUESTS`` calls after a warm-up: a certificate page, a design page, a design's badge (PNG, what link
previews fetch), a practice page, and the award rules one grade webhook needs. None of them is about the added
competences, so none should cost more with them. Target: every request at most 1.5× its cost on the sample,
measured in the same run (they read the data space's revision, one row, and keep the graph while it stays).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from benchlib import emit, postgres_database, scaled  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
TARGET = 1.5


def cpu_ms(call: Callable[[], object]) -> float:
    for _ in range(10):  # warm: templates, the kept graph, connection pool
        call()
    began = time.process_time()
    for _ in range(REQUESTS):
        call()
    return round((time.process_time() - began) * 1000 / REQUESTS, 3)


def main() -> None:
    from fastapi.testclient import TestClient

    from bridge.app import create_app
    from bridge.awards import service as awards
    from bridge.credentials.service import CredentialService, IssueInput
    from bridge.dataspace.model import Competence, Kind
    from bridge.dataspace.repository import EntityRepository
    from bridge.settings import Settings
    from bridge.startup import prepare

    extra = scaled(2000, 10)
    with postgres_database("leads_bench_dataspace") as url, tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=url, base_url="http://testserver", load_sample=True)
        db = prepare(settings)
        row = CredentialService(db, settings).issue(IssueInput(design_key="glam-mc-rights", learner_name="Ada"))

        def rules() -> None:
            with db.session() as session:
                awards.load_rules(session)

        with TestClient(create_app(settings, db)) as client:
            def get(path: str) -> Callable[[], object]:
                def call() -> None:
                    assert client.get(path).status_code == 200, path
                return call

            requests: dict[str, Callable[[], object]] = {
                "certificate_page": get(f"/credentials/{row.id}/certificate"),
                "design_page": get("/designs/glam-mc-rights"),
                "badge_png": get("/badges/glam-mc-rights.png"),
                "practice_page": get("/practices"),
                "webhook_rules": rules,
            }
            with db.session() as session:
                entities = EntityRepository(session).count()
            sample = {name: cpu_ms(call) for name, call in requests.items()}
            with db.session() as session:
                EntityRepository(session).upsert_many([
                    Competence(kind=Kind.COMPETENCE, key=f"bench-extra-{i}",
                               labels={"en": f"Extra competence {i}", "es": f"Competencia adicional {i}"},
                               descriptions={"en": "An unrelated competence " * 8}) for i in range(extra)])
            large = {name: cpu_ms(call) for name, call in requests.items()}
        db.engine.dispose()
    ratios = {name: round(large[name] / sample[name], 2) for name in requests}
    line: dict[str, Any] = {
        "benchmark": "dataspace_size", "entities": {"sample": entities, "large": entities + extra},
        "cpu_ms_per_request": {"sample": sample, "large": large}, "ratios": ratios, "target_ratio_max": TARGET,
        "ok": all(r <= TARGET for r in ratios.values())}
    emit(line)


if __name__ == "__main__":
    main()
