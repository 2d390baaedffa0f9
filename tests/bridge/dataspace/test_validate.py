"""Every validation case of a design set, and the sample passing clean."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bridge.cli import app
from bridge.dataspace import service
from bridge.dataspace.repository import EntityRepository
from bridge.db import Database
from bridge.errors import ValidationFailed


def sample() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(service.SAMPLE_DESIGN_SET.read_text())
    return data


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationFailed) as info:
        service.check(service.parse_design_set(data))
    return [str(p) for p in info.value.problems]


def entity(data: dict[str, Any], key: str) -> dict[str, Any]:
    return next(e for e in data["entities"] if e["key"] == key)


def test_sample_is_valid() -> None:
    service.check(service.parse_design_set(sample()))


def test_every_problem_is_listed_at_once() -> None:
    data = sample()
    entity(data, "glam-mc-rights")["has_part"] = [{"key": "glam-archive-to-commons-certificate", "order": 1}]
    entity(data, "glam-mc-digitisation")["outcomes"] = []
    entity(data, "glam-archive-to-commons-certificate")["ects"] = 3
    entity(data, "glam-mc-commons-upload")["eqf_level"] = 9
    entity(data, "glam-as-rights-quiz")["assesses"].append("glam-lo-does-not-exist")
    entity(data, "glam-course-moodle")["labels"] = {"es": "Sólo en español"}
    found = problems_of(data)
    expected = [
        "glam-mc-rights · has part: stacking cycle: glam-mc-rights → glam-archive-to-commons-certificate"
        " → glam-mc-rights",
        "glam-mc-digitisation · learning outcome: a credential design needs at least one learning outcome",
        "glam-archive-to-commons-certificate · ECTS credit points: the parts add up to",
        "glam-mc-commons-upload · EQF level: is 9; the EQF has levels 1 to 8",
        "glam-as-rights-quiz · learning outcome: refers to 'glam-lo-does-not-exist'",
        "glam-course-moodle · label: has no 'en' label",
    ]
    for text in expected:
        assert any(p.startswith(text) for p in found), (text, found)


def test_wrong_kind_of_reference() -> None:
    data = sample()
    entity(data, "glam-mc-rights")["assessed_by"] = ["glam-lo-copyright-status"]
    assert any("must refer to a assessment" in p or "must refer to a" in p for p in problems_of(data))


def test_duplicate_keys_and_bad_shape() -> None:
    data = sample()
    data["entities"].append(dict(entity(data, "glam-mc-rights")))
    assert any("used twice" in p for p in problems_of(data))
    bad = {"entities": [{"kind": "credential-design", "key": "Not A Key", "ects": "lots"}]}
    with pytest.raises(ValidationFailed) as info:
        service.parse_design_set(bad)
    props = {p.property for p in info.value.problems}
    assert {"key", "ects"} <= props


def test_nothing_is_stored_in_part(db: Database) -> None:
    assert service.store(db, service.parse_design_set(sample())) == 26
    data = sample()
    entity(data, "glam-mc-rights")["labels"]["en"] = "Changed"
    entity(data, "glam-mc-commons-upload")["eqf_level"] = 0
    with pytest.raises(ValidationFailed):
        service.store(db, service.parse_design_set(data))
    with db.session() as session:
        kept = EntityRepository(session).get("glam-mc-rights")
    assert kept is not None and kept.label() == "Micro-credential: Rights and licensing for GLAM uploads"


def test_wikibase_limits_are_checked_naming_entity_and_field() -> None:
    """Everything a Wikibase (REL1_43) would refuse is found before a push starts."""
    data = sample()
    entity(data, "glam-mc-rights")["descriptions"]["en"] = "x" * 300
    entity(data, "glam-mc-digitisation")["labels"]["es"] = "  " + "y" * 251 + " "
    design = entity(data, "glam-mc-commons-upload")
    design["descriptions"]["en"] = design["labels"]["en"] + "  "  # the same once trimmed, as the wiki compares
    entity(data, "glam-course-moodle")["url"] = "moodle.example.org/course/view.php?id=7"
    entity(data, "glam-course-openedx")["lms"] = "z" * 401
    entity(data, "glam-copyright-assessment")["esco"] = "https://e.org/" + "e" * 487
    entity(data, "glam-archive-to-commons")["wikidata"] = "https://www.wikidata.org/wiki/Q565"
    entity(data, "glam-lo-choose-licence")["labels"]["en"] = entity(data, "glam-lo-copyright-status")["labels"]["en"]
    entity(data, "glam-lo-choose-licence")["descriptions"]["en"] = \
        entity(data, "glam-lo-copyright-status")["descriptions"]["en"]
    found = problems_of(data)
    expected = [
        "glam-mc-rights · description (en): is 300 characters long; Wikibase allows at most 250",
        "glam-mc-digitisation · label (es): is 251 characters long",
        "glam-mc-commons-upload · description (en): is the same as the label",
        "glam-course-moodle · course URL: 'moodle.example.org/course/view.php?id=7' has no scheme",
        "glam-course-openedx · LMS: is 401 characters long; Wikibase allows at most 400",
        "glam-copyright-assessment · ESCO skill: is 501 characters long; Wikibase allows at most 500",
        "glam-archive-to-commons · Wikidata item: 'https://www.wikidata.org/wiki/Q565' is not a Wikidata item id",
        "glam-lo-choose-licence · label (en):",
    ]
    for text in expected:
        assert any(p.startswith(text) for p in found), (text, found)


@pytest.mark.parametrize("odd", ["\x01", "\x0b", "\x85", "\ufffe"])
def test_a_term_with_a_control_character_is_refused(odd: str) -> None:
    """Wikibase refuses it and no course export (XML) can carry it: an editor's label made every Moodle and Open edX
    file of the design unreadable (found by an audit)."""
    data = sample()
    entity(data, "glam-mc-rights")["labels"]["en"] = f"Rights{odd}and licensing"
    assert any(p.startswith("glam-mc-rights · label (en): contains a control character (U+") and "at position 7" in p
               for p in problems_of(data)), problems_of(data)


def test_leads_data_validate_refuses_a_300_character_description(tmp_path: Path) -> None:
    data = sample()
    entity(data, "glam-mc-rights")["descriptions"]["en"] = "d" * 300
    path = tmp_path / "design-set.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(app, ["data", "validate", str(path)])
    assert result.exit_code == 2, result.output
    assert ("glam-mc-rights · description (en): is 300 characters long; Wikibase allows at most 250"
            in result.output)
