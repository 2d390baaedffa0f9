"""The Makefile's promise: `make run` installs only what the service needs, and that set imports and serves.

The runtime set is built for real, from the lock file and uv's cache (offline), into a fresh environment that
holds nothing else; the service then starts from it and answers."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UV = os.environ.get("UV") or shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")
PACKAGES = ("bridge", "issuer", "lti")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_names(*args: str) -> set[str]:
    """Package names the lock file installs (`uv export`), with the given group options."""
    out = subprocess.run(
        [UV, "export", "--locked", "--offline", "--no-hashes", "--no-header", "--no-annotate", "--no-emit-project",
         "--format", "requirements-txt", *args],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    return {normalise(m.group(1)) for m in re.finditer(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", out, re.MULTILINE)}


def uv_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "UV_PROJECT_ENVIRONMENT")}
    return {**env, "UV_PYTHON_DOWNLOADS": "never", **extra}


def test_make_run_syncs_without_the_development_group() -> None:
    """What `make run` executes (make -n prints it): a runtime-only sync, and `uv run` told not to sync again
    (by default it would install the development group)."""
    commands = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    syncs = [line for line in commands.splitlines() if " sync " in f"{line} "]
    assert syncs and all("--no-dev" in line and "--locked" in line for line in syncs), commands
    runs = [line for line in commands.splitlines() if " run " in line]
    assert runs and all("--no-sync" in line or "--no-dev" in line for line in runs), commands
    assert runs[-1].endswith("leads serve --with-worker"), commands  # awards are signed on `make run` too


def test_the_lock_file_keeps_development_packages_out_of_the_runtime_set() -> None:
    runtime = locked_names("--no-dev")
    dev_only = locked_names() - runtime
    assert {"pytest", "ruff", "mypy", "playwright", "django", "lti1p3platform"} <= dev_only
    assert {"fastapi", "uvicorn", "sqlalchemy", "psycopg"} <= runtime


@pytest.fixture(scope="module")
def runtime_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh environment holding exactly what `uv sync --locked --no-dev` installs."""
    venv = tmp_path_factory.mktemp("runtime") / "venv"
    done = subprocess.run(
        [UV, "sync", "--locked", "--no-dev", "--offline", "--python", sys.executable],
        cwd=ROOT, capture_output=True, text=True, env=uv_env(UV_PROJECT_ENVIRONMENT=str(venv)), timeout=600,
    )
    assert done.returncode == 0, f"uv sync --no-dev failed (is uv's cache populated by `make install`?):\n{done.stderr}"
    yield venv
    shutil.rmtree(venv, ignore_errors=True)


def test_the_runtime_set_holds_no_development_package(runtime_env: Path) -> None:
    listing = subprocess.run(
        [str(runtime_env / "bin" / "python"), "-c",
         "import importlib.metadata as m; print('\\n'.join(d.metadata['Name'] for d in m.distributions()))"],
        capture_output=True, text=True, check=True, env=uv_env(),
    ).stdout
    installed = {normalise(name) for name in listing.split()}
    runtime, everything = locked_names("--no-dev"), locked_names()
    assert installed - {"leads"} <= runtime
    assert installed & (everything - runtime) == set()
    assert {"leads", "fastapi", "uvicorn", "psycopg"} <= installed


def test_every_module_imports_from_the_runtime_set(runtime_env: Path, tmp_path: Path) -> None:
    """A module importing a development package (pytest, yaml, playwright …) fails here, even one imported lazily."""
    script = (
        "import importlib, pkgutil, sys\n"
        "import bridge.cli, bridge.app  # the entry points first, as `leads` loads them\n"
        f"for top in {PACKAGES!r}:\n"
        "    package = importlib.import_module(top)\n"
        "    for info in pkgutil.walk_packages(package.__path__, top + '.'):\n"
        "        if not info.name.endswith('__main__'):\n"
        "            importlib.import_module(info.name)\n"
        "print(len(sys.modules))\n"
    )
    done = subprocess.run([str(runtime_env / "bin" / "python"), "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, env=uv_env(), timeout=300)
    assert done.returncode == 0, done.stderr
    assert "pytest" not in done.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_leads_serve_starts_from_the_runtime_set(runtime_env: Path, tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in uv_env().items() if not k.startswith("LEADS_")}
    env["LEADS_DATA_DIR"] = str(tmp_path / "var")
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen([str(runtime_env / "bin" / "leads"), "serve", "--port", str(port), "--with-worker"],
                                  cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240  # the first start migrates and loads the sample data space
        while True:
            assert server.poll() is None, "leads serve exited:\n" + log.read_text()
            try:
                status, body = get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline, "leads serve did not answer:\n" + log.read_text()
                time.sleep(0.5)
        assert (status, body) == (200, '{"status":"ok"}')
        status, page = get(f"http://127.0.0.1:{port}/practices")
        assert status == 200 and "<html" in page.lower()
        while get(f"http://127.0.0.1:{port}/readyz")[0] != 200:  # the award worker beside it has beaten
            assert time.monotonic() < deadline, "no award worker:\n" + log.read_text()
            time.sleep(0.5)
        worker = children(server.pid)
        assert len(worker) == 1, worker
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert not children_alive(worker), "the award worker outlived leads serve"


def children(pid: int) -> set[int]:
    return {int(child) for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()}


def children_alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            os.kill(pid, 0)
            alive.add(pid)
        except ProcessLookupError:
            pass
    return alive
