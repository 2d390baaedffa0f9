"""deploy/: Docker cannot run here, so check what can be: the compose model, the Dockerfile's files, the docs."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml
from typer import _click as click
from typer.main import get_command

from bridge.cli import app as cli_app
from bridge.scheduling.jobs import JOBS
from bridge.settings import environment_names

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    return data


def dockerfile() -> list[tuple[str, str]]:
    """Instructions as (KEYWORD, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def test_compose_has_postgres_migrations_web_and_worker() -> None:
    services = compose()["services"]
    assert set(services) == {"db", "migrate", "web", "worker"}

    db = services["db"]
    assert db["image"] == "postgres:16"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(v.startswith("pgdata:/var/lib/postgresql/data") for v in db["volumes"])
    assert "pgdata" in compose()["volumes"] and "leads-data" in compose()["volumes"]

    for name in ("migrate", "web", "worker"):
        svc = services[name]
        env = svc["environment"]
        assert env["LEADS_MODE"] == "production"
        assert env["LEADS_DATABASE_URL"].startswith("postgresql+psycopg://leads:${POSTGRES_PASSWORD")
        assert env["LEADS_DATABASE_URL"].endswith("@db:5432/leads")
        for secret in ("LEADS_SECRET_KEY", "LEADS_ADMIN_TOKEN", "LEADS_KEY_PASSPHRASE"):
            assert env[secret].startswith(f"${{{secret}:?"), f"{secret} must come from the environment/.env"
        assert svc["env_file"][0]["path"] == ".env"
        assert svc["depends_on"]["db"]["condition"] == "service_healthy"
        assert "leads-data:/data" in svc["volumes"]
    for name in ("web", "worker"):  # the migrations ran before either starts
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"

    web = services["web"]
    assert web["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert web["command"][:4] == ["leads", "serve", "--host", "0.0.0.0"]
    assert "/healthz" in " ".join(web["healthcheck"]["test"])
    assert services["migrate"]["command"] == ["leads", "migrate"]
    assert services["worker"]["command"] == ["leads", "worker"]
    assert services["worker"]["image"] == web["image"] == services["migrate"]["image"]
    scheduled = services["worker"]["environment"]["LEADS_SCHEDULED_JOBS"].split(",")
    assert set(scheduled) == set(JOBS)  # every scheduled job runs somewhere, leased (docs/decisions/024)


def test_compose_commands_exist_in_the_cli() -> None:
    group = get_command(cli_app)
    ctx = click.Context(group)

    def command(*path: str) -> Any:  # the CLI imports each command on use (bridge/cli/__init__.py)
        found: Any = group
        for name in path:
            found = found.get_command(ctx, name)
            assert found is not None, path
        return found

    for svc in ("migrate", "web", "worker"):
        assert compose()["services"][svc]["command"][1] in group.list_commands(ctx)  # type: ignore[attr-defined]
    poll = command("awards", "poll")
    assert "--every" in {o for p in poll.params for o in p.opts}
    recheck = command("pool", "recheck")
    assert "--every" in {o for p in recheck.params for o in p.opts}
    serve_options = {o for p in command("serve").params for o in p.opts}
    assert {"--host", "--port", "--workers"} <= serve_options


def test_dockerfile_follows_the_rules_and_copies_files_that_exist() -> None:
    steps = dockerfile()
    assert steps[0] == ("FROM", "python:3.11-slim")
    runs = " ".join(args for kw, args in steps if kw == "RUN")
    assert re.search(r"pip install --no-cache-dir \"uv==[0-9.]+\"", runs), "uv comes from PyPI, pinned"
    assert "uv sync --locked --no-dev" in runs
    users = [args for kw, args in steps if kw == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert any(kw == "HEALTHCHECK" and "/healthz" in args for kw, args in steps)
    cmd = [args for kw, args in steps if kw == "CMD"][-1]
    assert cmd.startswith("[") and shlex.split(cmd.strip("[]").replace(",", " ")) == [
        "leads", "serve", "--host", "0.0.0.0"]

    copied = []
    for kw, args in steps:
        if kw == "COPY":
            sources = [a for a in shlex.split(args) if not a.startswith("--")][:-1]
            copied += sources
    assert copied, "the Dockerfile copies the project in"
    for source in copied:
        assert (ROOT / source).exists(), f"deploy/Dockerfile copies {source}, which does not exist"
    for package in ("bridge", "issuer", "lti", "uv.lock", "pyproject.toml"):
        assert package in copied
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").split()
    assert not set(copied) & set(ignored)


def test_env_example_names_what_compose_requires() -> None:
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", (DEPLOY / "compose.yaml").read_text(encoding="utf-8")))
    example = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    assert required == {"POSTGRES_PASSWORD", "LEADS_BASE_URL", "LEADS_SECRET_KEY", "LEADS_ADMIN_TOKEN",
                        "LEADS_KEY_PASSPHRASE"}
    for name in required:
        assert re.search(rf"^{name}=", example, re.M), f"{name} missing from deploy/.env.example"


def test_deploy_doc_names_every_setting() -> None:
    doc = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    missing = [name for name in environment_names() if name not in doc]
    assert not missing, f"docs/deploy.md does not describe {missing}"
    for topic in ("backup", "pg_dump", "--workers", "leads worker", "compose.yaml"):
        assert topic in doc, topic
