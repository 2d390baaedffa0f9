"""``leads serve --workers 2``: each worker listens on a socket of its own, so a pool of keep-alive connections opened
together is spread over both (with one shared socket, the worker that woke first could take them all), and a worker
killed is replaced on its socket: connections the kernel sends there are answered once the replacement is up."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bridge.web.serving import spreads_connections
from tests.processes import stop_all

ROOT = Path(__file__).resolve().parents[3]
CLI = "import sys; from bridge.cli import app; sys.argv[0] = 'leads'; app()"
CONNECTIONS = 20

pytestmark = pytest.mark.skipif(not spreads_connections(2), reason="SO_REUSEPORT spreading is Linux's")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _inodes(port: int, state: str) -> set[str]:
    """Inodes of the TCP sockets on local ``port`` in ``state`` (IPv4, from /proc/net/tcp: 01 established, 0A
    listening)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        if local_port == port and fields[3] == state:
            inodes.add(fields[9])
    return inodes


def _connections_per_worker(server: int, port: int) -> dict[int, int]:
    inodes = _inodes(port, "01")
    held: dict[int, int] = {}
    for child in _children(server):
        fds = Path(f"/proc/{child}/fd")
        links = [os.readlink(fd) for fd in fds.iterdir() if fd.is_symlink()]
        count = sum(1 for link in links if link.startswith("socket:[") and link[8:-1] in inodes)
        if count:
            held[child] = count
    return held


def _open_and_ask(port: int, count: int, timeout: float) -> list[socket.socket]:
    """``count`` keep-alive connections opened together, each answered once (so each is accepted by a worker)."""
    conns = [socket.create_connection(("127.0.0.1", port), timeout=timeout) for _ in range(count)]
    for conn in conns:
        conn.sendall(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    for conn in conns:
        answer = conn.recv(4096)
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    return conns


def _a_full_round(server: int, port: int, timeout: float, rounds: int = 5) -> dict[int, int]:
    """Connections per worker once a round of ``CONNECTIONS`` is answered and still open.

    uvicorn closes a keep-alive connection idle for 5 s: while a replacement worker is still starting (seconds on a
    busy machine), the connections answered early by the other one close before the last answer comes, and are not
    counted. Every round must be answered in full (``_open_and_ask`` asserts it); a round is repeated only while
    some answered connection closed before it was counted.
    """
    held: dict[int, int] = {}
    for _ in range(rounds):
        started = time.monotonic()
        conns = _open_and_ask(port, CONNECTIONS, timeout=timeout)
        answered_in = time.monotonic() - started
        held = _connections_per_worker(server, port)
        for conn in conns:
            conn.close()
        if sum(held.values()) == CONNECTIONS or answered_in < 4:
            return held
    return held


def test_two_workers_share_the_connections_and_a_killed_one_is_replaced_on_its_socket(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADS_")}
    env.update(LEADS_DATA_DIR=str(tmp_path / "var"), LEADS_BASE_URL=f"http://127.0.0.1:{port}", PYTHONPATH=str(ROOT))
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen([sys.executable, "-c", CLI, "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--workers", "2"], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/livez", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        # a worker's socket joins the port's group, and gets its share of connections, once the worker listens on it
        while len(_inodes(port, "0A")) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        held = _a_full_round(server.pid, port, timeout=30)
        # spread by the hash of each connection: both workers hold some (all 20 on one: a chance of 2 in a million)
        assert len(held) == 2 and sum(held.values()) == CONNECTIONS, held

        victim = next(iter(held))
        os.kill(victim, 9)
        # whichever socket the kernel picks, every connection is answered: the dead worker's by its replacement
        again = _a_full_round(server.pid, port, timeout=120)
        assert victim not in again and len(again) == 2 and sum(again.values()) == CONNECTIONS, (held, again)
    finally:
        stop_all([server], [log], timeout=30)
