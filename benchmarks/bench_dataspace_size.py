"""What a request costs as the data space grows: the same requests against the bundled sample and against the sample
with 2,000 more competences (a data space of a large movement); one JSON line.

Two installations side by side, each with its own PostgreSQL database, served in process (FastAPI's test client).
Each request is timed in CPU milliseconds in ``ROUNDS`` rounds of ``BENCH_REQUESTS`` calls, the two installations
taking turns, and the lowest round of each counts (rounds on a busy machine only come out slower). The requests: a
certificate page, a design page, a design's badge (PNG, what link previews fetch), a practice page, and the award
rules one grade webhook needs. None of them is about the added competences, so none should cost more with them.
Target: every request at most 1.5× its cost on the sample (they read the data space's revision, one row, and keep
the graph while it stays). The CPU is the whole process's, both installations' background threads included:
compare the two columns with each other, not with other benchmarks.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from benchlib import emit, postgres_database, scaled  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "100"))
ROUNDS = 5
TARGET = 1.5


def cpu_ms(call: Callable[[], object]) -> float:
    began = time.process_time()
    for _ in range(REQUESTS):
        call()
    return (time.process_time() - began) * 1000 / REQUESTS


@contextmanager
def installation(extra: int) -> Iterator[tuple[int, dict[str, Callable[[], object]]]]:
    """A served installation with the sample and ``extra`` more competences: its entity count and its requests."""
    from fastapi.testclient import TestClient

    from bridge.app import create_app
    from bridge.awards import service as awards
    from bridge.credentials.service import CredentialService, IssueInput
    from bridge.dataspace.model import Competence, Kind
    from bridge.dataspace.repository import EntityRepository
    from bridge.settings import Settings
    from bridge.startup import prepare

    with postgres_database("leads_bench_dataspace") as url, tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=url, base_url="http://testserver", load_sample=True)
        db = prepare(settings)
        row = CredentialService(db, settings).issue(IssueInput(design_key="glam-mc-rights", learner_name="Ada"))
        with db.session() as session:
            repo = EntityRepository(session)
            repo.upsert_many([
                Competence(kind=Kind.COMPETENCE, key=f"bench-extra-{i}",
                           labels={"en": f"Extra competence {i}", "es": f"Competencia adicional {i}"},
                           descriptions={"en": "An unrelated competence " * 8}) for i in range(extra)])
            entities = repo.count()

        def rules() -> None:
            with db.session() as session:
                awards.load_rules(session)

        try:
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
                for call in requests.values():  # warm: templates, the kept graph, the connection pool
                    for _ in range(10):
                        call()
                yield entities, requests
        finally:
            db.engine.dispose()


def main() -> None:
    extra = scaled(2000, 10)
    best: dict[str, dict[str, float]] = {"sample": {}, "large": {}}
    with installation(0) as (small_n, small), installation(extra) as (large_n, large):
        for _ in range(ROUNDS):
            for name in small:
                for size, requests in (("sample", small), ("large", large)):
                    took = cpu_ms(requests[name])
                    best[size][name] = min(best[size].get(name, took), took)
    ratios = {name: round(best["large"][name] / best["sample"][name], 2) for name in best["sample"]}
    line: dict[str, Any] = {
        "benchmark": "dataspace_size", "entities": {"sample": small_n, "large": large_n}, "rounds": ROUNDS,
        "cpu_ms_per_request": {size: {k: round(v, 3) for k, v in b.items()} for size, b in best.items()},
        "ratios": ratios, "target_ratio_max": TARGET, "ok": all(r <= TARGET for r in ratios.values())}
    emit(line)


if __name__ == "__main__":
    main()
