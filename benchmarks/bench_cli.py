"""Start-up time of the ``leads`` command: ``leads --help`` and ``leads verify c.json``, as a ratio to
``python -c pass`` measured in the same run (so a busy or slow machine moves both); print one JSON line.

Each command runs ``BENCH_CLI_RUNS`` times (default 5) after one warm-up run (which writes the bytecode caches, as
any installation has them after its first command) and its median counts. The credential verified is issued
first into a throw-away data directory (SQLite), so ``verify`` does what an operator's does: read the file, open
and check the database, resolve the installation's own DID, read the status list, check every proof.

Targets (issue 20): each ratio at most a fifth of the one measured before the CLI imported its commands lazily
(``BEFORE``: the same benchmark on commit 319ef8c, this machine, as a median of 5 runs). ``BENCH_CLI_BEFORE=<tree>``
runs the benchmark on another source tree too (e.g. ``git archive 319ef8c | tar -x -C /tmp/before``) and prints
its figures beside this tree's.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_CLI_RUNS", "5"))
SPEEDUP = 5.0
# ratios to `python -c pass` measured with this benchmark on commit 319ef8c (eager imports), median of 5 runs
BEFORE = {"help_ratio": 160.0, "verify_ratio": 190.0}
LEADS = "import sys; sys.argv[0] = 'leads'; from bridge.cli import app; app()"


def _env(tree: Path, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADS_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PYTHONPATH=str(tree), LEADS_DATA_DIR=str(data_dir))
    return env


def _median(args: list[str], env: dict[str, str], cwd: Path) -> float:
    subprocess.run(args, env=env, cwd=cwd, capture_output=True, check=False)  # warm-up: bytecode caches
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args[2:])} failed ({done.returncode}): {done.stderr[-2000:]}")
    return statistics.median(times)


def measure(tree: Path, work: Path) -> dict[str, float]:
    data_dir = work / "var"
    env = _env(tree, data_dir)
    credential = work / "c.json"
    if not credential.exists():
        subprocess.run([sys.executable, "-c", LEADS, "issue", "--design", "glam-mc-rights", "--name", "Ada Lovelace",
                        "-o", str(credential)], env=env, cwd=work, check=True, capture_output=True)
    python = _median([sys.executable, "-c", "pass"], env, work)
    help_s = _median([sys.executable, "-c", LEADS, "--help"], env, work)
    verify_s = _median([sys.executable, "-c", LEADS, "verify", str(credential)], env, work)
    return {"python_s": round(python, 4), "help_s": round(help_s, 3), "verify_s": round(verify_s, 3),
            "help_ratio": round(help_s / python, 1), "verify_ratio": round(verify_s / python, 1)}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="leads-bench-cli-") as tmp:
        now = measure(ROOT, Path(tmp))
        before = dict(BEFORE)
        other = os.environ.get("BENCH_CLI_BEFORE")
        if other:
            (Path(tmp) / "before").mkdir()
            before = measure(Path(other), Path(tmp) / "before")
    targets = {name: round(before[name] / SPEEDUP, 1) for name in ("help_ratio", "verify_ratio")}
    ok = all(now[name] <= targets[name] for name in targets)
    print(json.dumps({"benchmark": "cli", "runs": RUNS, **now, "before": before, "targets": targets,
                      "speedup_help": round(before["help_ratio"] / now["help_ratio"], 1),
                      "speedup_verify": round(before["verify_ratio"] / now["verify_ratio"], 1), "ok": ok}))
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
