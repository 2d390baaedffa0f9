"""What the benchmarks share: the size scale (LEADS_BENCH_SCALE), a throwaway PostgreSQL database, peak memory, and
the one JSON line each benchmark prints."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, text

URL = os.environ.get("LEADS_BENCH_POSTGRES_URL", os.environ.get(
    "LEADS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))


def scale() -> float:
    """LEADS_BENCH_SCALE shrinks every size for a quick run (0.1: a tenth); the default 1 is the issue's sizes."""
    return float(os.environ.get("LEADS_BENCH_SCALE", "1"))


def scaled(n: int, minimum: int = 1) -> int:
    return max(minimum, round(n * scale()))


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A fresh database on the benchmark server, dropped afterwards."""
    admin = create_engine(URL, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def peak_rss_mb() -> dict[str, float]:
    """Peak resident memory of this process and of its largest finished child (MB)."""
    return {"self": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "children": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}


def emit(line: dict[str, Any]) -> None:
    line["load_average"] = round(os.getloadavg()[0], 1)
    line["scale"] = scale()
    print(json.dumps(line), flush=True)


def sizes_in_processes(script: str, run: Callable[[int], dict[str, Any]],
                       sizes: tuple[int, ...]) -> list[dict[str, Any]]:
    """Each size run by ``script --run N`` in a process of its own, so that its peak memory is its own; inside that
    process (``--run``), ``run(N)`` prints its line and the process exits."""
    if len(sys.argv) == 3 and sys.argv[1] == "--run":
        print(json.dumps(run(int(sys.argv[2]))), flush=True)
        raise SystemExit(0)
    runs = []
    for n in sizes:
        out = subprocess.run([sys.executable, script, "--run", str(n)], check=True, capture_output=True, text=True,
                             cwd=os.path.dirname(os.path.dirname(os.path.abspath(script))))
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return runs
