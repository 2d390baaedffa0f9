"""The documentation cannot drift from the code unnoticed: every repository path it names exists, the service count
in docs/deploy.md is the one of deploy/compose.yaml, every setting is documented, and no comment points at an issue
tracker that is not in the repository."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bridge.settings import environment_names

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([*ROOT.glob("docs/**/*.md"), ROOT / "README.md"])
TOP = ("bridge/", "issuer/", "lti/", "tests/", "docs/", "deploy/", "scripts/", "benchmarks/")
MADE_BY_THE_OPERATOR = {"deploy/.env"}  # `cp deploy/.env.example deploy/.env`
NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}


def named_paths(text: str) -> list[str]:
    """Repository paths in `code spans` (a `:line` or `::name` suffix dropped; patterns and placeholders skipped)."""
    found = []
    for token in re.findall(r"`([^`\s]+)`", text):
        if token.startswith(TOP) and not any(c in token for c in "<>*{}$…"):
            found.append(re.split(r"[:#]", token)[0].rstrip(".,;)"))
    return found


def test_every_path_the_docs_name_exists() -> None:
    missing = [f"{doc.relative_to(ROOT)}: {path}" for doc in DOCS for path in named_paths(doc.read_text("utf-8"))
               if path not in MADE_BY_THE_OPERATOR and not (ROOT / path).exists()]
    assert not missing, "paths named in the docs that do not exist:\n" + "\n".join(missing)


def test_the_path_check_can_fail() -> None:
    assert named_paths("see `bridge/nowhere.py:12` and `tests/<area>/` and `make lint`") == ["bridge/nowhere.py"]


def test_deploy_doc_counts_the_services_of_compose() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text(encoding="utf-8"))
    doc = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    said = re.search(r"compose\.yaml` with (\w+) services", doc)
    assert said, "docs/deploy.md says how many services compose.yaml has"
    assert NUMBERS.get(said.group(1), -1) == len(compose["services"]), (said.group(1), sorted(compose["services"]))
    table = re.findall(r"^\| `([a-z-]+)` \|", doc, re.M)
    assert set(compose["services"]) <= set(table), "every compose service has a row in the table"


def test_every_setting_is_documented() -> None:
    doc = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    missing = [name for name in environment_names() if name not in doc]
    assert not missing, f"docs/deploy.md does not describe {missing}"


def test_no_tracker_references_in_code_or_tests() -> None:
    pattern = re.compile(r"\((?:issue|point) \d+|\bissue \d+\b|\bpoint \d+ of\b", re.IGNORECASE)
    found = []
    for top in ("bridge", "issuer", "lti", "tests", "scripts", "benchmarks"):
        for path in (ROOT / top).rglob("*"):
            if path.suffix not in {".py", ".html", ".js", ".md", ".toml", ".po"} or "node_modules" in path.parts:
                continue
            if path == Path(__file__):
                continue
            for n, line in enumerate(path.read_text("utf-8", errors="replace").splitlines(), 1):
                if pattern.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not found, "references to an issue tracker that is not in the repository:\n" + "\n".join(found)
