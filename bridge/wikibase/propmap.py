"""Which P- and Q-numbers *this* Wikibase uses for the LEADS properties and classes.

A map is found three ways, never hard-coded: from the property and class entities inside a wbgetentities dump
(:func:`PropertyMap.from_entities`), from a JSON file (``LEADS_WIKIBASE_PROPERTY_MAP``), or by asking a live
Wikibase (``bridge.wikibase.client.WikibaseClient.resolve_property_map``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bridge.errors import LeadsError, Problem, Term
from bridge.wikibase.schema import ALL_KEYS, CLASS_BY_KEY, CLASSES, LEADS_KEY, PROPERTIES, PROPERTY_BY_KEY

_PID = re.compile(r"^P[1-9][0-9]*$")
_QID = re.compile(r"^Q[1-9][0-9]*$")
PROPERTY_MAP = Term("property map")


class PropertyMapError(LeadsError):
    def __init__(self, message: str, problems: list[Problem] | None = None, params: dict[str, Any] | None = None
                 ) -> None:
        super().__init__(message, code="property_map_incomplete", status=422, problems=problems or [],
                         params=params or {})


@dataclass
class PropertyMap:
    """LEADS key → id, both directions; properties map to P ids and classes to Q ids."""

    ids: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.keys: dict[str, str] = {v: k for k, v in self.ids.items()}

    def pid(self, key: str) -> str:
        try:
            return self.ids[key]
        except KeyError:
            raise PropertyMapError("this Wikibase has no property for the LEADS key '%(key)s'; run `leads wikibase "
                                   "bootstrap` or add it to the property map file", params={"key": key}) from None

    def qid(self, class_key: str) -> str:
        return self.pid(class_key)

    def key_of(self, entity_id: str) -> str | None:
        return self.keys.get(entity_id)

    def missing(self) -> list[str]:
        return [k for k in ALL_KEYS if k not in self.ids]

    def require_complete(self, source: str) -> PropertyMap:
        missing = self.missing()
        if missing:
            raise PropertyMapError(
                "%(source)s lacks %(count)s LEADS properties/classes; run `leads wikibase bootstrap` or list them in "
                "the property map file",
                [Problem(k, PROPERTY_MAP, "not found (by LEADS key statement or English label)") for k in missing],
                params={"source": source, "count": len(missing)})
        return self

    def as_dict(self) -> dict[str, str]:
        return dict(self.ids)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str = "property map") -> PropertyMap:
        problems: list[Problem] = []
        ids: dict[str, str] = {}
        for key, value in data.items():
            if key not in PROPERTY_BY_KEY and key not in CLASS_BY_KEY:
                problems.append(Problem(key, source, "is not a LEADS property or class key (known: %(known)s)",
                                        {"known": ", ".join(ALL_KEYS)}))
                continue
            pattern = _PID if key in PROPERTY_BY_KEY else _QID
            if not isinstance(value, str) or not pattern.match(value):
                problems.append(Problem(key, source, "%(value)r is not a property id like P12", {"value": value})
                                if key in PROPERTY_BY_KEY else
                                Problem(key, source, "%(value)r is not an item id like Q34", {"value": value}))
                continue
            ids[key] = value
        if problems:
            raise PropertyMapError("%(source)s has %(count)s problem(s)", problems,
                                   params={"source": source, "count": len(problems)})
        return cls(ids)

    @classmethod
    def load(cls, path: Path) -> PropertyMap:
        """A JSON object ``{"leads-key": "P<n>", ..., "class-practice": "Q<n>"}`` (any numbers)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise LeadsError("%(path)s: property map file not found (LEADS_WIKIBASE_PROPERTY_MAP)",
                             code="file_not_found", status=404, params={"path": path}) from None
        except json.JSONDecodeError as exc:
            raise LeadsError("%(path)s: not JSON (%(reason)s at line %(line)s)", code="invalid_json",
                             params={"path": path, "reason": exc.msg, "line": exc.lineno}) from None
        if not isinstance(data, dict):
            raise LeadsError("%(path)s: expected a JSON object of LEADS key → id", code="invalid_property_map",
                             params={"path": path})
        return cls.from_mapping(data, source=str(path)).require_complete(str(path))

    @classmethod
    def from_entities(cls, entities: Iterable[Mapping[str, Any]]) -> PropertyMap:
        """Derive the map from property and class entities (wbgetentities JSON).

        The "LEADS key" property is the one that states its own key about itself (or, failing that, the property
        labelled "LEADS key"); every other property and class is then found by its LEADS key statement, with the
        English label as a fallback for entities that carry no statement.
        """
        entities = [e for e in entities if "missing" not in e]
        key_pid = _find_key_property(entities)
        ids: dict[str, str] = {}
        if key_pid:
            ids[LEADS_KEY] = key_pid
            for entity in entities:
                for value in string_values(entity, key_pid):
                    kind = entity.get("type")
                    if (value in PROPERTY_BY_KEY and kind == "property") or (value in CLASS_BY_KEY and kind == "item"):
                        ids.setdefault(value, str(entity["id"]))
        by_label = {(e.get("type"), english_label(e)): str(e["id"]) for e in entities}
        for p in PROPERTIES:
            if p.key not in ids and ("property", p.labels["en"]) in by_label:
                ids[p.key] = by_label[("property", p.labels["en"])]
        for c in CLASSES:
            if c.key not in ids and ("item", c.labels["en"]) in by_label:
                ids[c.key] = by_label[("item", c.labels["en"])]
        return cls(ids)


def english_label(entity: Mapping[str, Any]) -> str | None:
    label = (entity.get("labels") or {}).get("en")
    return str(label["value"]) if isinstance(label, dict) and "value" in label else None


def string_values(entity: Mapping[str, Any], pid: str) -> list[str]:
    """The plain string values of one property's statements (the value snaks only)."""
    out = []
    for claim in (entity.get("claims") or {}).get(pid, []):
        snak = claim.get("mainsnak", {})
        value = (snak.get("datavalue") or {}).get("value")
        if snak.get("snaktype") == "value" and isinstance(value, str):
            out.append(value)
    return out


def _find_key_property(entities: list[Mapping[str, Any]]) -> str | None:
    for entity in entities:
        if entity.get("type") == "property" and LEADS_KEY in string_values(entity, str(entity["id"])):
            return str(entity["id"])
    label = PROPERTY_BY_KEY[LEADS_KEY].labels["en"]
    for entity in entities:
        if entity.get("type") == "property" and english_label(entity) == label:
            return str(entity["id"])
    return None
