"""Keeping ``leads worker --concurrency N`` at N processes.

With one process the orchestrator (systemd, Kubernetes, compose) is the supervisor: the process exits, it is
started again. With N, the parent is: a child that dies (the kernel's OOM killer picks the biggest process, which is
a signing child, not the parent; a bug that escapes the loop) would otherwise leave the parent running at N - 1
capacity with nothing in the log to say so. Restarted children pause first, longer each time (a child that dies at
start must not spin), and a child that keeps dying young stops the whole command, so the orchestrator sees a failing
process instead of a parent that looks healthy. Nothing is lost by a death: a dead child's leased jobs return to the
queue when their lease expires (decision 010).
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing import connection
from multiprocessing.process import BaseProcess

log = logging.getLogger("leads.awards.worker")


def describe(exitcode: int | None) -> str:
    """How a process ended, in the words an operator reads in a log ("killed by SIGKILL", not "-9")."""
    if exitcode is None:
        return "still running"
    if exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


@dataclass
class Supervisor:
    """Runs ``n`` processes made by ``make(i)`` until stopped; in ``once`` mode, until each has finished.

    Long-running children never exit on their own (``Worker.run`` outlives database outages), so any exit that was
    not asked for by :meth:`stop` is a death: the child is started again after ``pause``, doubled for each death in
    a row up to ``pause_max``. A child that lived ``healthy`` seconds starts its count again; ``give_up`` deaths in
    a row, each younger than that, stop everything. In ``once`` mode nothing is restarted: a failed child is
    reported and the others drain the queue.
    """

    make: Callable[[int], BaseProcess]
    n: int
    once: bool = False
    pause: float = 1.0
    pause_max: float = 60.0
    healthy: float = 60.0
    give_up: int = 5
    clock: Callable[[], float] = time.monotonic
    failed: list[str] = field(default_factory=list, init=False)  # children that ended in failure
    restarts: int = field(default=0, init=False)
    _stopping: bool = field(default=False, init=False)
    _wake: tuple[connection.Connection, connection.Connection] | None = field(default=None, init=False)
    _running: dict[int, tuple[BaseProcess, float]] = field(default_factory=dict, init=False)
    _signalled: set[int] = field(default_factory=set, init=False)

    def stop(self) -> None:
        """Ask every child to stop after the job in hand (SIGTERM) and start no more; safe from a signal handler and
        from another thread. The loop itself sends the SIGTERMs: a child it was starting when the signal came is
        not in ``_running`` yet, and must be stopped too."""
        self._stopping = True
        if self._wake is not None:
            self._wake[1].send_bytes(b"")

    def _terminate(self) -> None:
        for child, _ in self._running.values():
            if child.pid is not None and child.pid not in self._signalled and child.is_alive():
                child.terminate()
                self._signalled.add(child.pid)

    def run(self) -> list[str]:
        """Supervise until every child has ended; returns the names of the children that ended in failure."""
        self._wake = multiprocessing.Pipe(duplex=False)
        deaths = dict.fromkeys(range(self.n), 0)
        due: dict[int, float] = {}  # children waiting out their pause before they start again
        for i in range(self.n):
            self._start(i)
        while self._running or (due and not self._stopping):
            if self._stopping:
                self._terminate()
            now = self.clock()
            timeout = max(0.0, min(due.values()) - now) if due and not self._stopping else None
            connection.wait([c.sentinel for c, _ in self._running.values()] + [self._wake[0]], timeout)
            while self._wake[0].poll():
                self._wake[0].recv_bytes()
            for i, (child, started) in list(self._running.items()):
                if child.is_alive():
                    continue
                child.join()
                del self._running[i]
                self._signalled.discard(child.pid or 0)  # a later child may get the same pid
                self._ended(i, child, self.clock() - started, deaths, due)
            now = self.clock()
            for i, at in list(due.items()):
                if self._stopping:
                    due.clear()
                elif at <= now:
                    del due[i]
                    self._start(i)
                    self.restarts += 1
        return self.failed

    def _start(self, i: int) -> None:
        child = self.make(i)
        child.start()
        self._running[i] = (child, self.clock())

    def _ended(self, i: int, child: BaseProcess, lived: float, deaths: dict[int, int], due: dict[int, float]) -> None:
        code = child.exitcode
        if self._stopping and code in (0, -signal.SIGTERM):
            return
        if self.once:
            if code != 0:
                log.error("worker process %s stopped (%s); the other processes go on", child.name, describe(code))
                self.failed.append(child.name)
            return
        if self._stopping:  # asked to stop, but it died of something else on the way
            log.error("worker process %s stopped (%s) while stopping", child.name, describe(code))
            self.failed.append(child.name)
            return
        deaths[i] = 1 if lived >= self.healthy else deaths[i] + 1
        if deaths[i] >= self.give_up:
            log.error("worker process %s stopped (%s) %d times in a row, each within %.0f s of starting: giving up "
                      "and stopping the others", child.name, describe(code), deaths[i], self.healthy)
            self.failed.append(child.name)
            self._stopping = True
            return
        pause = min(self.pause_max, self.pause * 2 ** (deaths[i] - 1))
        log.error("worker process %s stopped (%s) after %.1f s; a new one starts in %.3g s", child.name,
                  describe(code), lived, pause)
        due[i] = self.clock() + pause
