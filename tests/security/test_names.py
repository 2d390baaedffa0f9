"""Names: one rule (issuer.documents.names) for the API, the CLI, the pool and the award pipeline.

Control characters, NUL, BEL and text-direction overrides never reach a credential, a page or a PDF; a name typed
by a person is refused with the reason, a name an LMS sends with a grade loses those characters (the grade is kept).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bridge.app import create_app
from bridge.awards.service import GradeInput
from bridge.cli import app as cli
from bridge.dataspace import service as dataspace_service
from bridge.db import Database
from bridge.pool import service as pool_service
from bridge.settings import Settings
from issuer.documents.model import Learner
from issuer.documents.names import MAX_NAME_LENGTH, clean_name, name_problem, strip_name
from issuer.errors import IssuerError

ADMIN = {"Authorization": "Bearer change-me-dev-only"}
HOSTILE = {
    "right-to-left override": "Ada \u202eexe.live\u202c Lovelace",
    "left-to-right isolate": "Ada \u2066x\u2069 Lovelace",
    "NUL": "Ada\x00Lovelace",
    "BEL": "Ada\x07 Lovelace",
    "newline": "Ada\nLovelace",
    "C1 control": "Ada\x85Lovelace",
    "line separator": "Ada\u2028Lovelace",
    "zero-width space": "Ada\u200bLovelace",
    "byte order mark": "\ufeffAda Lovelace",
}
GOOD = ["Ada Lovelace", "María José Ñúñez", "محمد بن موسى", "Ἀριστοτέλης", "李白", "मीरा\u200dबाई", "O'Brien-Smith"]


@pytest.mark.parametrize("name", list(HOSTILE.values()), ids=list(HOSTILE))
def test_the_rule_refuses_hostile_names(name: str) -> None:
    problem = name_problem(name)
    assert problem is not None and "U+" in problem and "position" in problem
    with pytest.raises(IssuerError) as refused:
        Learner(name=name)
    assert refused.value.status == 422 and refused.value.code == "invalid_name"


@pytest.mark.parametrize("name", GOOD)
def test_the_rule_keeps_real_names_of_any_script(name: str) -> None:
    assert name_problem(name) is None
    assert Learner(name=f"  {name} ").name == name


def test_one_length_rule() -> None:
    assert name_problem("a" * MAX_NAME_LENGTH) is None
    assert "at most 300" in (name_problem("a" * (MAX_NAME_LENGTH + 1)) or "")
    with pytest.raises(IssuerError):
        clean_name("a" * 10_000)


def test_names_from_an_lms_lose_the_refused_characters_and_keep_the_grade() -> None:
    cleaned, note = strip_name(HOSTILE["right-to-left override"])
    assert cleaned == "Ada exe.live Lovelace" and note
    assert strip_name("Ada\nLovelace") == ("Ada Lovelace", strip_name("Ada\nLovelace")[1])
    assert strip_name("Ada Lovelace") == ("Ada Lovelace", None)
    grade = GradeInput(source="webhook:moodle", learner="moodle:7", design="d", learner_name="Ada\x00\x07 Lovelace")
    assert grade.learner_name == "Ada Lovelace"
    assert GradeInput(source="s", learner="l", design="d", learner_name="\u202e").learner_name is None


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    dataspace_service.load_sample_if_empty(db)
    with TestClient(create_app(settings, db)) as test_client:
        yield test_client


@pytest.mark.parametrize("name", [HOSTILE["right-to-left override"], HOSTILE["NUL"], HOSTILE["BEL"], "a" * 301])
def test_the_api_refuses_them(client: TestClient, name: str) -> None:
    body = {"design": "glam-mc-rights", "learner": {"name": name}, "format": "ob3"}
    response = client.post("/api/credentials", json=body, headers=ADMIN)
    assert response.status_code == 422, response.text
    problem = response.json()["problems"][0]
    assert problem["property"].endswith("learner.name")


def test_the_api_issues_a_good_name_trimmed(client: TestClient) -> None:
    body = {"design": "glam-mc-rights", "learner": {"name": "  María José Ñúñez "}, "format": "ob3"}
    response = client.post("/api/credentials", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    identities = response.json()["credential"]["credentialSubject"]["identifier"]
    assert {"type": "IdentityObject", "identityType": "name", "hashed": False,
            "identityHash": "María José Ñúñez"} in identities


def test_the_pool_refuses_them(db: Database) -> None:
    from bridge.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        pool_service.create_profile(db, handle="ada-rtl", display_name=HOSTILE["right-to-left override"])
    assert refused.value.problems[0].property == "display_name" and "U+202E" in refused.value.problems[0].message


@pytest.fixture
def runner(cli_home: Path) -> CliRunner:
    return CliRunner()


@pytest.mark.parametrize("name", ["a" * 10_000, HOSTILE["right-to-left override"], HOSTILE["BEL"]])
def test_the_cli_refuses_what_the_api_refuses(runner: CliRunner, tmp_path: Path, name: str) -> None:
    out = tmp_path / "c.json"
    result = runner.invoke(cli, ["issue", "--design", "glam-mc-rights", "--name", name, "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert "invalid_name" in result.output and not out.exists()


def test_the_cli_issues_a_good_name(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "c.json"
    result = runner.invoke(cli, ["issue", "--design", "glam-mc-rights", "--name", "李白", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "李白" in json.dumps(json.loads(out.read_text())["credentialSubject"], ensure_ascii=False)
