"""Data-space use cases: load the sample, validate and store design sets, query entities."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bridge.dataspace.model import DesignSet, EntityBase
from bridge.dataspace.repository import EntityRepository
from bridge.dataspace.validate import validate
from bridge.db import Database
from bridge.errors import LeadsError, Problem, ValidationFailed

SAMPLE_DIR = Path(__file__).parent / "sample"
SAMPLE_DESIGN_SET = SAMPLE_DIR / "glam-pilot.design-set.json"
SAMPLE_DUMP = SAMPLE_DIR / "glam-pilot.wbgetentities.json"

#: Reads a wbgetentities dump (``{"entities": {Q..}}``) into a design set. The Wikibase domain owns that codec and
#: sits above the data space, so the composition root hands it down here (``use_dump_decoder``) instead of the data
#: space importing upwards.
DumpDecoder = Callable[[Mapping[str, Any]], DesignSet]
_dump_decoder: list[DumpDecoder] = []


def use_dump_decoder(decoder: DumpDecoder) -> None:
    """Install the reader of Wikibase dumps (done once by ``bridge.composition``; idempotent)."""
    _dump_decoder[:] = [decoder]


def parse_design_set(data: Any, source: str = "input") -> DesignSet:
    """A design set from parsed JSON: LEADS design-set form, or a wbgetentities dump (``{"entities": {Q..}}``)."""
    if isinstance(data, dict) and isinstance(data.get("entities"), dict):
        if not _dump_decoder:
            raise LeadsError("%(source)s is a Wikibase dump and this process reads none (no dump decoder installed)",
                             code="no_dump_decoder", status=500, params={"source": source})
        return _dump_decoder[0](data)
    try:
        return DesignSet.model_validate(data)
    except ValidationError as exc:
        problems = []
        entities = data.get("entities") if isinstance(data, dict) else None
        for err in exc.errors():
            loc = list(err["loc"])
            entity = source
            if len(loc) >= 2 and loc[0] == "entities" and isinstance(loc[1], int) and isinstance(entities, list):
                raw = entities[loc[1]] if loc[1] < len(entities) else {}
                entity = str(raw.get("key", f"entity #{loc[1] + 1}")) if isinstance(raw, dict) else entity
                loc = loc[2:]
                if loc and isinstance(loc[0], str) and loc[0] in {k for k in ("practice", "activity", "competence",
                        "learning-outcome", "assessment", "credential-design", "course")}:
                    loc = loc[1:]
            said = err["msg"]  # pydantic's words (English), not a message to extract
            problems.append(Problem(entity, ".".join(str(x) for x in loc) or "entity", said))
        raise ValidationFailed("%(source)s is not a valid design set", problems, params={"source": source}) from None


def read_design_set_file(path: Path) -> DesignSet:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LeadsError("%(path)s: no such file", code="file_not_found", status=404, params={"path": path}) from None
    except json.JSONDecodeError as exc:
        raise LeadsError("%(path)s: not JSON (%(msg)s at line %(lineno)s, column %(colno)s)",
                         code="invalid_json",
                         params={"path": path, "msg": exc.msg, "lineno": exc.lineno, "colno": exc.colno}) from None
    return parse_design_set(data, source=str(path))


def check(design_set: DesignSet, known: Mapping[str, EntityBase] | None = None) -> None:
    """Raise ``ValidationFailed`` listing every problem (duplicate keys included)."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for e in design_set.entities:
        if e.key in seen:
            problems.append(Problem(e.key, "key", "the key is used twice in this design set; keys must be unique"))
        seen.add(e.key)
    problems += validate(design_set.by_key(), known=known)
    if problems:
        raise ValidationFailed("the design set has %(count)s problem(s); nothing was stored", problems,
                               params={"count": len(problems)})


def store(db: Database, design_set: DesignSet) -> int:
    """Validate against what is stored, then write all entities in one transaction (all or nothing)."""
    with db.session() as session:
        repo = EntityRepository(session)
        known = {e.key: e for e in repo.list()}
        check(design_set, known)
        return repo.upsert_many(design_set.entities)


def load_sample_if_empty(db: Database) -> int:
    with db.session() as session:
        repo = EntityRepository(session)
        if repo.count():
            return 0
        sample = read_design_set_file(SAMPLE_DUMP if SAMPLE_DUMP.exists() else SAMPLE_DESIGN_SET)
        check(sample)
        repo.set_meta("source", {"kind": "bundled-sample", "file": SAMPLE_DUMP.name})
        return repo.upsert_many(sample.entities)
