"""The scheduled grade poll (AGS) of one MOOC course: 10,000 and 100,000 learners, each size in its own process so
its peak memory is its own; one JSON line.

Every learner has a result on each of the GLAM pilot's three assessments (line items), served a page at a time as a
platform's results service does (``limit`` 1,000). Two passes: the first records every grade and decides four awards
a learner; the second, as every later period does, reads every result again and finds nothing new. Targets, ratios
within this run: each pass of the large course at most 11× the small one (linear); the large course's peak resident
memory at most 1.3× the small one's (flat: results are recorded as they are read, 5,000 a transaction).
LEADS_BENCH_SCALE shrinks the sizes; PostgreSQL at LEADS_BENCH_POSTGRES_URL.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from benchlib import emit, peak_rss_mb, postgres_database, scaled, sizes_in_processes  # noqa: E402

DESIGN = "glam-archive-to-commons-certificate"
GRADES = (("glam-as-rights-quiz", 8, 10), ("glam-as-digitisation-portfolio", 61, 100), ("glam-as-upload-project", 4, 5))
PAGE = 1000


class Course:
    """The platform's side: line items with LEADS's resource ids, and results made a page at a time."""

    def __init__(self, learners: int) -> None:
        self.learners = learners

    def line_items(self, **filters: str) -> list[dict[str, Any]]:
        return [{"id": f"https://lms.example.org/ags/c/lineitems/{key}", "resourceId": key, "scoreMaximum": top}
                for key, _, top in GRADES]

    def results(self, line_item_url: str, user_id: str | None = None) -> Iterator[dict[str, Any]]:
        score, top = next((s, t) for k, s, t in GRADES if line_item_url.endswith(f"/{k}"))
        for first in range(0, self.learners, PAGE):
            page = [{"id": f"{line_item_url}/results/u{i}", "scoreOf": line_item_url, "userId": f"u{i}",
                     "resultScore": score, "resultMaximum": top}
                    for i in range(first, min(self.learners, first + PAGE))]
            yield from json.loads(json.dumps(page))  # parsed from the wire, as the client gets them


def run(learners: int) -> dict[str, Any]:
    from bridge.app import prepare
    from bridge.awards import intake
    from bridge.settings import AwardSettings, Settings

    with postgres_database("leads_bench_poll") as url, tempfile.TemporaryDirectory() as tmp:
        db = prepare(Settings(data_dir=Path(tmp), database_url=url, base_url="https://leads.example.org",
                              load_sample=True))
        passes = []
        for _ in range(2):
            start = time.perf_counter()
            polled = intake.poll_context(db, Course(learners), design=DESIGN, source="ags:bench", context="c",
                                         learner_of=lambda user: f"bench:{user}", cfg=AwardSettings())
            passes.append({"seconds": round(time.perf_counter() - start, 2), "grades": polled.grades,
                           "duplicates": polled.duplicates, "awarded": polled.awarded})
        db.engine.dispose()
    assert passes[0]["awarded"] == 4 * learners and passes[1]["duplicates"] == 3 * learners, passes
    return {"learners": learners, "first": passes[0], "again": passes[1], "peak_rss_mb": peak_rss_mb()["self"]}


def main() -> None:
    small, large = scaled(10_000, 10), scaled(100_000, 100)
    runs = sizes_in_processes(__file__, run, (small, large))
    a, b = runs
    limit = 1.1 * large / small
    ratios = {"first": b["first"]["seconds"] / a["first"]["seconds"],
              "again": b["again"]["seconds"] / a["again"]["seconds"],
              "memory": b["peak_rss_mb"] / a["peak_rss_mb"]}
    emit({"benchmark": "ags_poll", "runs": runs, "time_ratio_first": round(ratios["first"], 2),
          "time_ratio_again": round(ratios["again"], 2), "target_time_ratio_max": round(limit, 2),
          "memory_ratio": round(ratios["memory"], 2), "target_memory_ratio_max": 1.3,
          "ok": ratios["first"] <= limit and ratios["again"] <= limit and ratios["memory"] <= 1.3})


if __name__ == "__main__":
    main()
