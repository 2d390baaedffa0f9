"""The built wheel is the whole service: built with `uv build`, installed in a fresh virtual environment outside the
source tree, `leads serve` renders the main pages (templates, static files, catalogues and the sample data space
all come from the installed package, read with importlib.resources)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def _uv() -> str:
    found = shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")
    assert Path(found).exists(), "uv is needed to build the wheel (it is how the project is built and locked)"
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_wheel_installs_outside_the_source_tree_and_serves_the_main_pages(tmp_path: Path) -> None:
    uv = _uv()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV") and not k.startswith("LEADS_")}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    dist = tmp_path / "dist"
    subprocess.run([uv, "build", "--wheel", "-o", str(dist), str(ROOT)], check=True, env=env, capture_output=True)
    wheel = next(dist.glob("leads-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "bridge/templates/base.html" in names and "bridge/templates/static/leads.css" in names
    assert "bridge/i18n/locale/es/LC_MESSAGES/certificates.mo" in names

    # the locked runtime dependencies (from uv's cache when offline), then the wheel, in a fresh environment
    requirements = tmp_path / "requirements.txt"
    subprocess.run([uv, "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes", "-o",
                    str(requirements)], check=True, cwd=ROOT, env=env, capture_output=True)
    venv = tmp_path / "venv"
    subprocess.run([uv, "venv", "--python", sys.executable, str(venv)], check=True, env=env, capture_output=True)
    python = venv / "bin" / "python"
    install = [uv, "pip", "install", "--python", str(python), "-r", str(requirements), str(wheel)]
    done = subprocess.run(install, env=env, capture_output=True, text=True, cwd=tmp_path)
    if done.returncode != 0:  # no registry here: the same packages from uv's cache
        done = subprocess.run([*install, "--offline"], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr

    where = subprocess.run([str(python), "-c", "import bridge; print(bridge.__file__)"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert where.startswith(str(venv)) and not where.startswith(str(ROOT)), where

    port = _free_port()
    run_env = {**env, "LEADS_DATA_DIR": str(tmp_path / "var"), "LEADS_BASE_URL": f"http://127.0.0.1:{port}",
               "LEADS_DATABASE_URL": f"sqlite:///{tmp_path / 'leads.sqlite3'}"}
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen([str(venv / "bin" / "leads"), "serve", "--host", "127.0.0.1", "--port", str(port)],
                              cwd=tmp_path, env=run_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300  # first start: keys, migrations, the sample (slow on a busy machine)
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text(errors="replace")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text(errors="replace")
            time.sleep(0.3)
        with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as http:
            home = http.get("/")
            assert home.status_code == 200 and "<html" in home.text and 'href="/verify' in home.text
            practices = http.get("/practices")  # the bundled sample data space, read from the installed package
            assert practices.status_code == 200 and "GLAM" in practices.text
            spanish = http.get("/verify?lang=es")
            assert spanish.status_code == 200 and 'lang="es"' in spanish.text
            assert http.get("/verify").status_code == 200
            assert http.get("/pool").status_code == 200
            login = http.get("/courses/generate")
            assert login.status_code == 401 and "<form" in login.text
            css = http.get("/static/leads.css")
            assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
            docs = http.get("/docs")
            assert docs.status_code == 200 and "/static/api-docs/" in docs.text
            assert http.get("/static/api-docs/swagger-ui-bundle.js").status_code == 200  # bundled, no CDN
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
