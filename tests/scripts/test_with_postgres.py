"""scripts/with_postgres.py: `make test` brings its own PostgreSQL when none answers, and leaves nothing behind.

These start real throwaway clusters with the machine's PostgreSQL server binaries (Debian's, which the wrapper
installs as root when they are missing)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ALLOW_NO_POSTGRES, POSTGRES_URL

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "with_postgres.py"

# What the suite would do first: connect to LEADS_TEST_POSTGRES_URL. Prints what it found, then optionally waits.
CHILD = """
import json, os, sys, time
from sqlalchemy import create_engine, text
url = os.environ["LEADS_TEST_POSTGRES_URL"]
engine = create_engine(url)
with engine.connect() as conn:
    row = conn.execute(text("select current_database(), current_user, current_setting('data_directory')")).one()
engine.dispose()
print(json.dumps({"url": url, "database": row[0], "user": row[1], "data": row[2]}), flush=True)
if len(sys.argv) > 1:
    time.sleep(float(sys.argv[1]))
"""


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("with_postgres", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


WITH_POSTGRES = load_script()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def server_binaries() -> None:
    if WITH_POSTGRES.find_server_binaries() is None:
        message = "PostgreSQL's server binaries (initdb, pg_ctl) are not installed: sudo apt-get install postgresql"
        if ALLOW_NO_POSTGRES:
            pytest.skip("POSTGRES ABSENT — " + message)
        pytest.fail(message)


@pytest.fixture
def tmp_root() -> Iterator[Path]:
    """TMPDIR for the wrapper: under the system temporary directory and open to the server's account (pytest's
    own tmp_path sits in a directory only its owner may enter)."""
    path = Path(tempfile.mkdtemp(prefix="leads-with-postgres-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def wrapper_env(tmp_root: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "LEADS_TEST_ALLOW_NO_POSTGRES"}
    return {**env, "LEADS_TEST_POSTGRES_URL": url, "TMPDIR": str(tmp_root)}


def processes_mentioning(path: Path) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if str(path) in cmdline:
                found.append(f"{proc.name}: {cmdline}")
    return found


def assert_nothing_left(tmp_root: Path, port: int) -> None:
    assert list(tmp_root.iterdir()) == [], "the throwaway cluster's directory was left behind"
    assert processes_mentioning(tmp_root) == [], "a server process was left behind"
    assert not WITH_POSTGRES.postgres_answers("127.0.0.1", port, "postgres", "test"), "the server still answers"


def child_report(stdout: str) -> dict[str, str]:
    line = next(line for line in stdout.splitlines() if line.startswith("{"))
    report: dict[str, str] = json.loads(line)
    return report


@pytest.mark.postgres
def test_closed_port_starts_a_throwaway_cluster_and_removes_it(server_binaries: None, tmp_root: Path) -> None:
    closed = closed_port()
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed}/test"
    done = subprocess.run([sys.executable, str(SCRIPT), sys.executable, "-c", CHILD], env=wrapper_env(tmp_root, url),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = child_report(done.stdout)
    port = int(report["url"].rsplit(":", 1)[1].split("/")[0])
    assert report["url"] == f"postgresql+psycopg://postgres@127.0.0.1:{port}/test" and port != closed
    assert (report["database"], report["user"]) == ("test", "postgres")
    assert report["data"].startswith(str(tmp_root) + "/leads-pg-")
    assert "started a throwaway one" in done.stderr and "removed" in done.stderr
    assert_nothing_left(tmp_root, port)


@pytest.mark.postgres
def test_a_failing_run_keeps_its_exit_code_and_removes_the_cluster(server_binaries: None, tmp_root: Path) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test"
    fail = CHILD + "\nsys.exit(3)\n"
    done = subprocess.run([sys.executable, str(SCRIPT), sys.executable, "-c", fail], env=wrapper_env(tmp_root, url),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 3, done.stderr
    port = int(child_report(done.stdout)["url"].rsplit(":", 1)[1].split("/")[0])
    assert_nothing_left(tmp_root, port)


def start_waiting(tmp_root: Path) -> tuple[subprocess.Popen[str], int]:
    """The wrapper in its own process group (as a terminal runs a command), its command connected and waiting."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test"
    wrapper = subprocess.Popen([sys.executable, str(SCRIPT), sys.executable, "-c", CHILD, "120"],
                               env=wrapper_env(tmp_root, url), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    assert wrapper.stdout is not None
    line = wrapper.stdout.readline()  # the child's report: the cluster is up and the suite is running
    assert line.startswith("{"), (line, wrapper.stderr.read() if wrapper.stderr else "")
    return wrapper, int(json.loads(line)["url"].rsplit(":", 1)[1].split("/")[0])


@pytest.mark.postgres
def test_ctrl_c_stops_and_removes_the_cluster(server_binaries: None, tmp_root: Path) -> None:
    wrapper, port = start_waiting(tmp_root)
    os.killpg(wrapper.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole foreground process group
    _, stderr = wrapper.communicate(timeout=120)
    assert wrapper.returncode != 0
    assert "KeyboardInterrupt" in stderr and "after signal SIGINT" in stderr
    assert_nothing_left(tmp_root, port)


@pytest.mark.postgres
def test_sigterm_to_the_wrapper_reaches_the_command_and_removes_the_cluster(
    server_binaries: None, tmp_root: Path
) -> None:
    wrapper, port = start_waiting(tmp_root)
    wrapper.send_signal(signal.SIGTERM)  # a supervisor stopping the run signals the wrapper alone
    _, stderr = wrapper.communicate(timeout=120)
    assert wrapper.returncode == 128 + signal.SIGTERM, stderr
    assert_nothing_left(tmp_root, port)


def test_a_running_server_is_used_as_it_is(postgres_url: str, tmp_root: Path) -> None:
    """postgres_url guarantees a server answers at LEADS_TEST_POSTGRES_URL (or skips when it may be absent)."""
    done = subprocess.run([sys.executable, str(SCRIPT), sys.executable, "-c", CHILD],
                          env=wrapper_env(tmp_root, POSTGRES_URL), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert child_report(done.stdout)["url"] == POSTGRES_URL
    assert done.stderr == "" and list(tmp_root.iterdir()) == []


def test_the_sqlite_only_escape_hatch_starts_nothing(tmp_root: Path) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test"
    env = {**wrapper_env(tmp_root, url), "LEADS_TEST_ALLOW_NO_POSTGRES": "1"}
    show = "import os; print(os.environ['LEADS_TEST_POSTGRES_URL'])"
    done = subprocess.run([sys.executable, str(SCRIPT), sys.executable, "-c", show], env=env,
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, url, "")
    assert list(tmp_root.iterdir()) == []


def test_without_server_binaries_a_non_root_user_is_told_the_one_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEADS_TEST_POSTGRES_URL", f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test")
    monkeypatch.delenv("LEADS_TEST_ALLOW_NO_POSTGRES", raising=False)
    monkeypatch.setattr(WITH_POSTGRES, "find_server_binaries", lambda: None)
    monkeypatch.setattr(WITH_POSTGRES.os, "geteuid", lambda: 1000)
    ran: list[list[str]] = []
    monkeypatch.setattr(WITH_POSTGRES.subprocess, "run", lambda cmd, **kw: ran.append(cmd))
    assert WITH_POSTGRES.main(["pytest"]) == 1
    assert ran == []  # neither apt-get nor the command ran
    err = capsys.readouterr().err
    assert "no PostgreSQL answers at postgresql+psycopg://postgres@127.0.0.1:" in err
    assert "\n    sudo apt-get install postgresql\n" in err


def test_the_probe_tells_postgresql_from_other_listeners() -> None:
    """Something else on the port (here a listener that never speaks) is not taken for a server."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert not WITH_POSTGRES.postgres_answers("127.0.0.1", port, "postgres", "test", timeout=0.5)
    assert not WITH_POSTGRES.postgres_answers("127.0.0.1", closed_port(), "postgres", "test")


@pytest.mark.parametrize("workers", ["0", "2"])
def test_the_escape_hatch_ends_with_the_loud_warning_on_one_worker_and_on_several(workers: str) -> None:
    """The SQLite-only run says at its end that PostgreSQL was absent, also when pytest-xdist runs the tests in
    other processes (`make test` runs on several workers) and the skips happen there."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test"
    env = {**os.environ, "LEADS_TEST_POSTGRES_URL": url, "LEADS_TEST_ALLOW_NO_POSTGRES": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", workers,
         "tests/bridge/credentials/test_awards_door.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed, 1 skipped" in done.stdout
    assert "POSTGRESQL ABSENT: database tests ran on SQLite only" in done.stdout
    assert f"PostgreSQL is not reachable at {url}" in done.stdout
