"""Start-up time of the ``leads`` command: ``leads --help`` and ``leads verify c.json``, as a ratio to
``python -c pass`` measured in the same run (so a slow machine moves both); print one JSON line.

Time is the child's CPU time (user + system, from ``wait4``), not the wall clock: on a shared machine with a load
of 10 on 2 cores the wall clock of a 50 ms process varies threefold, its CPU time hardly. Each command runs
``BENCH_CLI_RUNS`` times (default 5) after one warm-up run (which writes the bytecode caches, as any installation
has them after its first command); the best run counts (the least disturbed). Wall-clock medians are printed too.
The credential verified is issued first into a throw-away data directory (SQLite), so ``verify`` does what an
operator's does: read the file, open and check the database, resolve the installation's own DID, read the status
list, check every proof and the shape.

Targets: each ratio at most a fifth of the one measured before the CLI imported its commands lazily
(``BEFORE``: this benchmark on commit 319ef8c). ``BENCH_CLI_BEFORE=<tree>`` measures another source tree in the
same run, its runs interleaved with this tree's (e.g. ``git archive 319ef8c | tar -x -C /tmp/before``), and takes
its figures as the baseline.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_CLI_RUNS", "5"))
SPEEDUP = 5.0
# CPU-time ratios to `python -c pass` measured with this benchmark on commit 319ef8c (eager imports), best of 5
BEFORE = {"help_ratio": 199.4, "verify_ratio": 205.9}
LEADS = "import sys; sys.argv[0] = 'leads'; from bridge.cli import app; app()"


def _env(tree: Path, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADS_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PYTHONPATH=str(tree), LEADS_DATA_DIR=str(data_dir))
    return env


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(CPU seconds of the child — the children's totals before and after it, one child at a time —, wall)."""
    cpu, start = _cpu(), time.perf_counter()
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - start, _cpu() - cpu
    if done.returncode:
        raise SystemExit(f"{' '.join(args[2:])} failed ({done.returncode}): {done.stderr[-2000:]}")
    return cpu, wall


class Timer:
    def __init__(self, tree: Path, work: Path) -> None:
        work.mkdir(parents=True, exist_ok=True)
        self.env, self.work = _env(tree, work / "var"), work
        self.credential = work / "c.json"
        subprocess.run([sys.executable, "-c", LEADS, "issue", "--design", "glam-mc-rights", "--name",
                        "Ada Lovelace", "-o", str(self.credential)], env=self.env, cwd=work, check=True,
                       capture_output=True)
        self.commands = {"python": [sys.executable, "-c", "pass"], "help": [sys.executable, "-c", LEADS, "--help"],
                         "verify": [sys.executable, "-c", LEADS, "verify", str(self.credential)]}
        self.cpu: dict[str, list[float]] = {name: [] for name in self.commands}
        self.wall: dict[str, list[float]] = {name: [] for name in self.commands}
        for args in self.commands.values():
            subprocess.run(args, env=self.env, cwd=work, capture_output=True, check=False)  # bytecode caches

    def once(self) -> None:
        for name, args in self.commands.items():
            cpu, wall = _run(args, self.env, self.work)
            self.cpu[name].append(cpu)
            self.wall[name].append(wall)

    def figures(self) -> dict[str, float]:
        best = {name: min(v) for name, v in self.cpu.items()}
        wall = {name: statistics.median(v) for name, v in self.wall.items()}
        return {"python_cpu_s": round(best["python"], 4), "help_cpu_s": round(best["help"], 3),
                "verify_cpu_s": round(best["verify"], 3),
                "help_ratio": round(best["help"] / best["python"], 1),
                "verify_ratio": round(best["verify"] / best["python"], 1),
                "python_wall_s": round(wall["python"], 4), "help_wall_s": round(wall["help"], 3),
                "verify_wall_s": round(wall["verify"], 3)}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="leads-bench-cli-") as tmp:
        timers = {"now": Timer(ROOT, Path(tmp) / "now")}
        other = os.environ.get("BENCH_CLI_BEFORE")
        if other:
            timers["before"] = Timer(Path(other), Path(tmp) / "before")
        for _ in range(RUNS):  # interleaved: both trees see the same moments of a busy machine
            for timer in timers.values():
                timer.once()
        now = timers["now"].figures()
        before: dict[str, float] = timers["before"].figures() if other else dict(BEFORE)
    targets = {name: round(before[name] / SPEEDUP, 1) for name in ("help_ratio", "verify_ratio")}
    ok = all(now[name] <= targets[name] for name in targets)
    print(json.dumps({"benchmark": "cli", "runs": RUNS, **now, "before": before, "targets": targets,
                      "speedup_help": round(before["help_ratio"] / now["help_ratio"], 1),
                      "speedup_verify": round(before["verify_ratio"] / now["verify_ratio"], 1), "ok": ok}))


if __name__ == "__main__":
    main()
