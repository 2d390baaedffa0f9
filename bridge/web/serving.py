"""Serving with several uvicorn worker processes, each listening on a socket of its own (``SO_REUSEPORT``).

With uvicorn's one shared listening socket, the worker whose event loop wakes first accepts every connection that is
waiting: a proxy's or a load balancer's pool of keep-alive connections, opened together, lands on one process while
the other cores idle (seen in benchmarks/bench_http.py: at 20 connections one of two workers took them all in some
runs, and the verify rate halved; docs/decisions/024). With a socket per worker, bound to the same address, Linux
spreads new connections across the workers by the hash of each connection. The parent keeps every socket, so a
worker that dies is replaced on its own socket and no connection waits on a socket nobody accepts from.

Elsewhere (no ``SO_REUSEPORT`` with that meaning), with one worker, or with ``reload``, uvicorn runs as it comes.
"""

from __future__ import annotations

import logging
import socket
import sys
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess, Process


def spreads_connections(workers: int, reload: bool = False) -> bool:
    return workers > 1 and not reload and sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


class _ReusePortConfig(uvicorn.Config):
    def bind_socket(self) -> socket.socket:
        """As uvicorn's, with ``SO_REUSEPORT`` so that each worker binds one (``run`` says where it listens, once)."""
        family = socket.AF_INET6 if self.host and ":" in self.host else socket.AF_INET
        sock = socket.socket(family=family)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise SystemExit(f"cannot listen on {self.host}:{self.port}: {exc.strerror}") from None
        if not self.port:  # an ephemeral port: every other worker's socket takes the one the first was given
            self.port = int(sock.getsockname()[1])
        sock.set_inheritable(True)
        return sock


class SpreadWorkers(Multiprocess):
    """uvicorn's supervisor (signals, health checks, restarts), with worker ``i`` always on socket ``i``."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket]) -> None:
        super().__init__(config, sockets)
        self.slots = sockets

    def _process(self, idx: int) -> Process:
        process = Process(self.config, [self.slots[idx]])
        process.start()
        return process

    def init_processes(self) -> None:
        self.processes = [self._process(idx) for idx in range(len(self.slots))]

    def restart_all(self) -> None:
        """SIGHUP: as uvicorn does, each replacement serves before the worker it replaces stops."""
        for idx, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._process(idx)
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new.kill()
                new.join()
                return
            old.terminate()
            old.join()
            self.processes[idx] = new

    def keep_subprocess_alive(self) -> None:
        if self.should_exit.is_set():
            return
        for idx, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()
            process.join()
            if process.exitcode == STARTUP_FAILURE:  # broken app or settings: every restart would fail alike
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            self.processes[idx] = self._process(idx)


def run(app: str, *, host: str, port: int, workers: int = 1, reload: bool = False, **options: Any) -> None:
    """``uvicorn.run`` for an import string, with a listening socket per worker where the system spreads them."""
    if not spreads_connections(workers, reload):
        uvicorn.run(app, host=host, port=port, workers=workers, reload=reload, **options)
        return
    app_dir = options.pop("app_dir", None)
    if app_dir is not None:  # as uvicorn.run: where the import string is found (spawned workers inherit sys.path)
        sys.path.insert(0, app_dir)
    config = _ReusePortConfig(app, host=host, port=port, workers=workers, **options)
    sockets = [config.bind_socket() for _ in range(workers)]
    scheme, shown = ("https" if config.is_ssl else "http"), (f"[{config.host}]" if ":" in config.host else config.host)
    logging.getLogger("uvicorn.error").info(
        "Uvicorn running on %s://%s:%d, %d workers each listening on its own socket (Press CTRL+C to quit)",
        scheme, shown, config.port, workers)
    try:
        SpreadWorkers(config, sockets).run()
    except KeyboardInterrupt:
        pass
    finally:
        for sock in sockets:
            sock.close()
