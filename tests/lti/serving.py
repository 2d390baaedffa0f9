"""Serve an ASGI app with uvicorn on a free loopback port, in a thread (real HTTP for real peers)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serve(make_app: Callable[[str], Any], host: str = "127.0.0.1",
          tls: tuple[Path, Path] | None = None) -> Iterator[str]:
    """``make_app(base_url)`` is called with the URL it will be served at; yields that URL.

    ``tls`` = (certificate chain, key) serves HTTPS; ``host`` is the name in the URL (it must resolve to loopback).
    """
    sock = free_socket()
    base = f"{'https' if tls else 'http'}://{host}:{sock.getsockname()[1]}"
    config = uvicorn.Config(make_app(base), log_level="warning", lifespan="off", ws="none",
                            ssl_certfile=str(tls[0]) if tls else None, ssl_keyfile=str(tls[1]) if tls else None)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(5)
        sock.close()
