"""Stopping the server and worker processes a multi-process test started: politely first, by force when a process
does not exit in time, and their log files closed (so a failing assertion still leaves readable logs)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from typing import IO, Any


def stop_all(procs: Iterable[subprocess.Popen[Any]], logs: Iterable[IO[Any]], *, timeout: float) -> None:
    procs = list(procs)
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    for log in logs:
        log.close()
