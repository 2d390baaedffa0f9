#!/usr/bin/env python3
"""Run a command (the test suite) with a PostgreSQL server answering at LEADS_TEST_POSTGRES_URL.

`make test` must pass on a fresh machine without a database server set up. A server that answers at the URL is
used as it is. Otherwise Debian's PostgreSQL server is installed when it is missing (as root; anyone else is told
the one command to run), a throwaway cluster is started in a temporary directory on a free port as an
unprivileged user, the command runs with LEADS_TEST_POSTGRES_URL pointing at it, and the cluster is stopped and
its directory removed at the end, also when the command fails or is interrupted (Ctrl-C, SIGTERM, SIGHUP).
LEADS_TEST_ALLOW_NO_POSTGRES=1 (the suite's SQLite-only escape hatch) runs the command without any of this.

Standard library only, so it runs before and without the project's environment.

Usage: with_postgres.py COMMAND [ARG...]        e.g. with_postgres.py pytest -q -k postgres tests/bridge
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
INSTALL_COMMAND = "sudo apt-get install postgresql"
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
GRACE_SECONDS = 10.0  # how long an interrupted command may take to finish before it is signalled harder


def say(message: str) -> None:
    print(f"with_postgres: {message}", file=sys.stderr, flush=True)


def postgres_answers(host: str, port: int, user: str, database: str, timeout: float = 3.0) -> bool:
    """True when a PostgreSQL server speaks the protocol at host:port (it may still refuse this user: the
    suite then says why). A v3 startup message is answered by an authentication request ('R') or an error
    ('E'); anything else, silence or a refused connection means no PostgreSQL is there."""
    params = b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in (("user", user), ("database", database)))
    body = struct.pack("!i", 196608) + params + b"\0"
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(struct.pack("!i", len(body) + 4) + body)
            reply = sock.recv(1)
            if reply == b"R":
                sock.sendall(b"X\0\0\0\4")  # Terminate, so the server does not log an aborted connection
    except OSError:
        return False
    return reply in (b"R", b"E")


def version_key(bin_dir: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", Path(bin_dir).parent.name)) or (0,)


def find_server_binaries() -> Path | None:
    """The newest Debian server (/usr/lib/postgresql/N/bin), else initdb and pg_ctl on PATH."""
    debian = [d for d in glob.glob("/usr/lib/postgresql/*/bin") if os.access(f"{d}/initdb", os.X_OK)]
    if debian:
        return Path(max(debian, key=version_key))
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl", path=str(Path(initdb).parent)):
        return Path(initdb).parent
    return None


def install_server() -> Path | None:
    """As root with apt-get: install Debian's server, the way `make browsers` installs Chromium."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None
    say("installing Debian's PostgreSQL server (apt-get install postgresql) …")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "postgresql"]
    if subprocess.run(install, env=env, stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL)
        subprocess.run(install, env=env, stdout=subprocess.DEVNULL)
    return find_server_binaries()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def traversable_by_all(path: str) -> bool:
    """Whether every directory down to path lets others through (the server user must reach its directory)."""
    p = Path(path).resolve()
    return all(os.stat(d).st_mode & 0o001 for d in (p, *p.parents))


@dataclass
class Cluster:
    bin_dir: Path
    root: Path  # the temporary directory: data/, the log and the unix socket
    user: str | None  # the unprivileged account the server runs as, when we are root
    port: int = 0

    @property
    def data(self) -> Path:
        return self.root / "data"

    def as_user(self, command: list[str]) -> list[str]:
        if self.user is None:
            return command
        if shutil.which("runuser"):
            return ["runuser", "-u", self.user, "--", *command]
        return ["su", "-s", "/bin/sh", self.user, "-c", shlex.join(command)]

    def run(self, command: list[str]) -> None:
        done = subprocess.run(self.as_user(command), capture_output=True, text=True, cwd=self.root)
        if done.returncode != 0:
            raise RuntimeError(f"{shlex.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")

    def start(self, superuser: str, database: str) -> None:
        self.run([str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", superuser, "-A", "trust",
                  "-E", "UTF8", "--locale=C", "--no-sync"])
        for attempt in range(3):  # another process may take the free port between choosing and binding it
            self.port = free_port()
            options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {shlex.quote(str(self.root))} "
                       "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
            try:
                self.run([str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                          "-w", "-t", "120", "-o", options, "start"])
                break
            except RuntimeError:
                if attempt == 2:
                    raise RuntimeError("the server did not start:\n" + self.log())  # noqa: B904
        if database != "postgres":
            self.run([str(self.bin_dir / "createdb"), "-h", str(self.root), "-p", str(self.port),
                      "-U", superuser, database])

    def log(self) -> str:
        try:
            return (self.root / "server.log").read_text(errors="replace")
        except OSError:
            return ""

    def remove(self) -> None:
        """Stop the server (immediately: nothing in it is worth keeping) and delete its directory."""
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():
            stop = [str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop"]
            subprocess.run(self.as_user(stop), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if pid_file.exists():  # pg_ctl could not stop it: kill the postmaster, its children follow
                with contextlib.suppress(OSError, ValueError, IndexError):
                    os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)


class Signals:
    """Records SIGINT/SIGTERM/SIGHUP while the cluster exists, so a signal never skips its removal.

    Ctrl-C reaches the command through the terminal's process group, so SIGINT is forwarded only when the
    command has not ended GRACE_SECONDS later; SIGTERM and SIGHUP come from a supervisor and are forwarded."""

    def __init__(self) -> None:
        self.received: list[int] = []
        self.child: subprocess.Popen[bytes] | None = None
        self.previous = {s: signal.signal(s, self.handle) for s in SIGNALS}

    def handle(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signum)
        if self.child is not None and signum != signal.SIGINT and self.child.poll() is None:
            self.child.send_signal(signum)

    def wait(self, child: subprocess.Popen[bytes]) -> int:
        self.child = child
        escalation = [signal.SIGINT, signal.SIGTERM, signal.SIGKILL]
        deadline: float | None = None
        while True:
            try:
                return child.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                pass
            if self.received and deadline is None:
                deadline = time.monotonic() + GRACE_SECONDS
            elif deadline is not None and time.monotonic() > deadline and escalation:
                child.send_signal(escalation.pop(0))
                deadline = time.monotonic() + GRACE_SECONDS

    def restore(self) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)


def exit_code(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    url = os.environ.get("LEADS_TEST_POSTGRES_URL", DEFAULT_URL)
    if os.environ.get("LEADS_TEST_ALLOW_NO_POSTGRES") == "1":
        return exit_code(subprocess.call(argv))
    parts = urlsplit(url)
    user, database = parts.username or "postgres", parts.path.lstrip("/") or "postgres"
    if not parts.hostname or postgres_answers(parts.hostname, parts.port or 5432, user, database):
        return exit_code(subprocess.call(argv))  # a running server (or a unix socket the suite reaches itself)

    bin_dir = find_server_binaries() or install_server()
    if bin_dir is None:
        say(f"no PostgreSQL answers at {url}, and its server is not installed. Install it with:\n\n"
            f"    {INSTALL_COMMAND}\n\n(or start a server and set LEADS_TEST_POSTGRES_URL, or set "
            "LEADS_TEST_ALLOW_NO_POSTGRES=1 to run the SQLite half only)")
        return 1

    run_as = None
    parent = tempfile.gettempdir()
    if os.geteuid() == 0:  # initdb refuses root; the server runs as an account that owns nothing else
        run_as = next((n for n in ("postgres", "nobody") if _exists(n)), None)
        if run_as is None:
            say("running as root and neither a 'postgres' nor a 'nobody' account exists to run the server")
            return 1
        parent = parent if traversable_by_all(parent) else "/tmp"

    signals = Signals()
    cluster = Cluster(bin_dir, Path(tempfile.mkdtemp(prefix="leads-pg-", dir=parent)), run_as)
    try:
        if run_as is not None:
            account = pwd.getpwnam(run_as)
            os.chown(cluster.root, account.pw_uid, account.pw_gid)
        try:
            cluster.start(user, database)
        except RuntimeError as exc:
            say(f"could not start a throwaway PostgreSQL in {cluster.root}: {exc}")
            return 1
        if signals.received:
            return 128 + signals.received[0]
        local = parts._replace(netloc=f"{user}@127.0.0.1:{cluster.port}")
        say(f"no PostgreSQL answered at {url}; started a throwaway one ({bin_dir.parent.name}, "
            f"{cluster.root}, run as {run_as or pwd.getpwuid(os.geteuid()).pw_name}) at {urlunsplit(local)}; "
            "it is removed at the end")
        child = subprocess.Popen(argv, env={**os.environ, "LEADS_TEST_POSTGRES_URL": urlunsplit(local)})
        return exit_code(signals.wait(child))
    finally:
        cluster.remove()
        signals.restore()
        say(f"stopped the throwaway PostgreSQL and removed {cluster.root}"
            + (f" (after signal {signal.Signals(signals.received[0]).name})" if signals.received else ""))


def _exists(account: str) -> bool:
    try:
        pwd.getpwnam(account)
    except KeyError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
