"""Child processes for the supervisor tests: stdlib only, so a spawned child starts in milliseconds. Each writes its
pid to a file first, so the test knows who is alive."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def _hello(pids: str) -> None:
    with Path(pids).open("a") as f:
        f.write(f"{os.getpid()}\n")


def serve(pids: str) -> None:
    """A long-running worker: runs until SIGTERM ends it (exit -15, as a real one stops after its job)."""
    _hello(pids)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    while True:
        time.sleep(3600)


def crash(pids: str) -> None:
    """A worker that dies at start, as one with a broken configuration does."""
    _hello(pids)
    os._exit(3)


def finish(pids: str) -> None:
    """A ``--once`` worker that found the queue empty."""
    _hello(pids)


def crash_six_times(pids: str) -> None:
    """A worker that dies at start six times, then runs (a configuration fixed meanwhile)."""
    started = len(Path(pids).read_text().split()) if Path(pids).exists() else 0
    if started < 6:
        crash(pids)
    serve(pids)
