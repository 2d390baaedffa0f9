"""Between the LEADS model and Wikibase entity JSON (the shapes of wbgetentities and wbeditentity).

Pure functions, no I/O. Statement order is kept, ordered parts carry a ``series-ordinal`` qualifier and
``requires-competence`` a ``proficiency-level`` qualifier, so the model round-trips exactly whatever P- and
Q-numbers the Wikibase uses.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import TypeAdapter, ValidationError

from bridge.dataspace.api import (
    Activity,
    Assessment,
    Competence,
    CompetenceRequirement,
    Course,
    CredentialDesign,
    DesignSet,
    Entity,
    EntityBase,
    Kind,
    LearningOutcome,
    Practice,
    ProficiencyLevel,
    Ref,
    normalize,
)
from bridge.errors import Problem, Term, ValidationFailed
from bridge.wikibase.propmap import PropertyMap, english_label, string_values
from bridge.wikibase.schema import (
    CLASS_BY_KIND,
    CLASSES,
    LEADS_KEY,
    PROPERTIES,
    PROPERTY_BY_KEY,
    VALUE_TYPES,
    ClassSpec,
    PropertySpec,
)

_entity = TypeAdapter(Entity)
REFERENCE = Term("reference")
LEADS_KEY_TERM = Term("LEADS key")
ENTITY = Term("entity")
LEVEL = Term("level")
Json = dict[str, Any]
Claim = tuple[str, Any, list[tuple[str, Any]]]  # (property key, value, [(qualifier key, value)])


# --- snaks and statements ---------------------------------------------------------------------------------------

def amount(x: float | int | Decimal) -> str:
    """A quantity amount as Wikibase writes it: a signed decimal string, ``+5`` or ``+0.5``."""
    return normalize.amount(x)


def datavalue(datatype: str, value: Any) -> Json:
    if datatype == "wikibase-item":
        return {"value": {"entity-type": "item", "numeric-id": int(str(value)[1:]), "id": str(value)},
                "type": "wikibase-entityid"}
    if datatype == "quantity":
        return {"value": {"amount": amount(value), "unit": "1"}, "type": "quantity"}
    if datatype == "monolingualtext":
        language, text = value
        return {"value": {"text": normalize.text(text), "language": language}, "type": "monolingualtext"}
    return {"value": normalize.text(str(value)), "type": VALUE_TYPES[datatype]}


def snak(pid: str, datatype: str, value: Any, with_hash: bool = False) -> Json:
    out: Json = {"snaktype": "value", "property": pid, "datavalue": datavalue(datatype, value), "datatype": datatype}
    if with_hash:
        out = {"snaktype": "value", "property": pid, "hash": _hash(out),
               "datavalue": out["datavalue"], "datatype": datatype}
    return out


def _hash(obj: Any) -> str:
    return hashlib.sha1(json.dumps(obj, sort_keys=True).encode()).hexdigest()


def statement(propmap: PropertyMap, claim: Claim, *, entity_id: str | None = None, index: int = 0) -> Json:
    key, value, qualifiers = claim
    spec = PROPERTY_BY_KEY[key]
    pid = propmap.pid(key)
    with_ids = entity_id is not None
    out: Json = {"mainsnak": snak(pid, spec.datatype, value, with_ids), "type": "statement"}
    if qualifiers:
        quals: dict[str, list[Json]] = {}
        for qkey, qvalue in qualifiers:
            qpid = propmap.pid(qkey)
            quals.setdefault(qpid, []).append(snak(qpid, PROPERTY_BY_KEY[qkey].datatype, qvalue, with_ids))
        out["qualifiers"] = quals
        out["qualifiers-order"] = list(quals)
    if entity_id is not None:
        guid = uuid.uuid5(uuid.NAMESPACE_URL, f"leads:{entity_id}:{pid}:{index}:{json.dumps(value, default=str)}")
        out["id"] = f"{entity_id}${str(guid).upper()}"
    out["rank"] = "normal"
    return out


def claims_json(propmap: PropertyMap, claims: Iterable[Claim], entity_id: str | None = None) -> dict[str, list[Json]]:
    out: dict[str, list[Json]] = {}
    for i, claim in enumerate(claims):
        out.setdefault(propmap.pid(claim[0]), []).append(statement(propmap, claim, entity_id=entity_id, index=i))
    return out


def lang_map(values: Mapping[str, str]) -> dict[str, Json]:
    """Terms as the wiki stores them (trimmed, NFC); one that is empty once trimmed is no term at all."""
    return {lang: {"language": lang, "value": normalize.text(text)} for lang, text in values.items()
            if normalize.text(text)}


# --- model → claims ---------------------------------------------------------------------------------------------

def entity_claims(entity: EntityBase, propmap: PropertyMap, ids: Mapping[str, str]) -> list[Claim]:
    """Every LEADS statement of one entity, references resolved through ``ids`` (LEADS key → Q id)."""

    def q(key: str) -> str:
        try:
            return ids[key]
        except KeyError:
            raise ValidationFailed("'%(key)s' refers to '%(target)s', which has no Wikibase item yet",
                                   [Problem(entity.key, REFERENCE, "'%(target)s' is neither in the design set nor "
                                            "in the Wikibase; add it or fix the key", {"target": key})],
                                   params={"key": entity.key, "target": key}) from None

    def parts(refs: list[Ref]) -> list[Claim]:
        return [("has-part", q(r.key), [("series-ordinal", str(r.order))] if r.order is not None else [])
                for r in refs]

    def requires(reqs: list[CompetenceRequirement]) -> list[Claim]:
        return [("requires-competence", q(r.key), [("proficiency-level", r.level)] if r.level is not None else [])
                for r in reqs]

    out: list[Claim] = [(LEADS_KEY, entity.key, []),
                        ("instance-of", propmap.qid(CLASS_BY_KIND[Kind(entity.kind)].key), [])]
    if entity.wikidata:
        out.append(("wikidata-item", entity.wikidata, []))
    if isinstance(entity, Practice):
        out += parts(entity.has_part)
    elif isinstance(entity, Activity):
        out += [("part-of", q(entity.part_of), [])] if entity.part_of else []
        out += parts(entity.has_part) + requires(entity.requires)
    elif isinstance(entity, Competence):
        out += [("part-of", q(entity.part_of), [])] if entity.part_of else []
        for level in entity.levels:
            out += [("competence-level", (lang, text), [("series-ordinal", str(level.number))])
                    for lang, text in level.labels.items()]
        out += [("esco-skill", entity.esco, [])] if entity.esco else []
        out += [("capx-skill", entity.capx_skill, [])] if entity.capx_skill else []
    elif isinstance(entity, LearningOutcome):
        out += requires([entity.competence]) if entity.competence else []
        out += [("esco-skill", entity.esco, [])] if entity.esco else []
    elif isinstance(entity, Assessment):
        if entity.passing_threshold is not None:
            out.append(("passing-threshold", entity.passing_threshold, []))
        out += [("assesses", q(k), []) for k in entity.assesses]
    elif isinstance(entity, CredentialDesign):
        out += [("part-of", q(entity.part_of), [])] if entity.part_of else []
        out += parts(entity.has_part) + requires(entity.requires)
        out += [("learning-outcome", q(k), []) for k in entity.outcomes]
        out += [("assessed-by", q(k), []) for k in entity.assessed_by]
        out += [("ects", entity.ects, [])] if entity.ects is not None else []
        out += [("eqf-level", entity.eqf_level, [])] if entity.eqf_level is not None else []
        out += [("language", entity.language, [])] if entity.language else []
        out += [("esco-skill", entity.esco, [])] if entity.esco else []
    elif isinstance(entity, Course):
        out += [("credential-design", q(entity.design), [])] if entity.design else []
        out += [("course-url", entity.url, [])] if entity.url else []
        out += [("lms", entity.lms, [])] if entity.lms else []
        out += [("language", entity.language, [])] if entity.language else []
    return out


def encode_entity(entity: EntityBase, propmap: PropertyMap, ids: Mapping[str, str], *,
                  stub: bool = False) -> Json:
    """wbeditentity ``data`` for one entity; a ``stub`` has only labels, key and class (first pass of a push)."""
    claims = entity_claims(entity, propmap, ids) if not stub else [
        (LEADS_KEY, entity.key, []), ("instance-of", propmap.qid(CLASS_BY_KIND[Kind(entity.kind)].key), [])]
    out: Json = {"type": "item", "labels": lang_map(entity.labels), "descriptions": lang_map(entity.descriptions),
                 "claims": claims_json(propmap, claims)}
    if ids.get(entity.key):
        out["id"] = ids[entity.key]
    return out


def encode(design_set: DesignSet, propmap: PropertyMap, ids: Mapping[str, str] | None = None) -> list[Json]:
    """Entity JSON for wbeditentity, one per entity; ``ids`` defaults to the entities' own ``wikibase_id``."""
    known = dict(ids or {e.key: e.wikibase_id for e in design_set.entities if e.wikibase_id})
    return [encode_entity(e, propmap, known) for e in design_set.entities]


def property_json(spec: PropertySpec, propmap: PropertyMap | None = None, pid: str | None = None) -> Json:
    """A property entity; its LEADS key statement is added once the "LEADS key" property has an id."""
    out: Json = {"type": "property", "datatype": spec.datatype, "labels": lang_map(spec.labels),
                 "descriptions": lang_map(spec.descriptions), "aliases": {}, "claims": {}}
    if propmap is not None and LEADS_KEY in propmap.ids:
        out["claims"] = claims_json(propmap, [(LEADS_KEY, spec.key, [])], entity_id=pid)
    return out


def class_json(spec: ClassSpec, propmap: PropertyMap, qid: str | None = None) -> Json:
    return {"type": "item", "labels": lang_map(spec.labels), "descriptions": lang_map(spec.descriptions),
            "aliases": {}, "claims": claims_json(propmap, [(LEADS_KEY, spec.key, [])], entity_id=qid)}


# --- claims → model ---------------------------------------------------------------------------------------------

def _values(entity: Mapping[str, Any], pid: str | None) -> list[tuple[Any, dict[str, list[Any]]]]:
    """(value, {qualifier pid: [values]}) for each value statement of ``pid``, deprecated ones left out."""
    if pid is None:
        return []
    out = []
    for claim in (entity.get("claims") or {}).get(pid, []):
        main = claim.get("mainsnak", {})
        if main.get("snaktype") != "value" or claim.get("rank") == "deprecated":
            continue
        quals = {qpid: [_plain(s) for s in snaks if s.get("snaktype") == "value"]
                 for qpid, snaks in (claim.get("qualifiers") or {}).items()}
        out.append((_plain(main), quals))
    return out


def _plain(s: Mapping[str, Any]) -> Any:
    dv = s.get("datavalue") or {}
    value: Any = dv.get("value")
    vtype = dv.get("type")
    if vtype == "wikibase-entityid":
        return value.get("id") or f"Q{value['numeric-id']}"
    if vtype == "quantity":
        return Decimal(str(value["amount"]))
    if vtype == "monolingualtext":
        return (value["language"], value["text"])
    return value


class _Decoder:
    def __init__(self, entities: list[Mapping[str, Any]], propmap: PropertyMap,
                 known: Mapping[str, str] | None = None) -> None:
        self.pm = propmap
        self.problems: list[Problem] = []
        self.class_kind = {propmap.ids[c.key]: c.kind for c in CLASSES if c.key in propmap.ids}
        key_pid = propmap.ids.get(LEADS_KEY)
        self.items: list[tuple[Mapping[str, Any], Kind, str]] = []
        for e in entities:
            if e.get("type") != "item" or "missing" in e:
                continue
            kinds = [self.class_kind[v] for v, _ in _values(e, propmap.ids.get("instance-of")) if v in self.class_kind]
            if not kinds:
                continue  # a class item, or something that is not LEADS data
            keys = string_values(e, key_pid) if key_pid else []
            if not keys:
                self.problems.append(Problem(str(e.get("id")), LEADS_KEY_TERM, "this LEADS item has no LEADS key "
                                             "statement; add one (a unique kebab-case key)"))
                continue
            self.items.append((e, kinds[0], keys[0]))
        self.key_of = dict(known or {}) | {str(e["id"]): key for e, _, key in self.items}

    def vals(self, e: Mapping[str, Any], key: str) -> list[tuple[Any, dict[str, list[Any]]]]:
        return _values(e, self.pm.ids.get(key))

    def ref(self, e: Mapping[str, Any], prop: str, qid: Any) -> str | None:
        key = self.key_of.get(str(qid))
        if key is None:
            self.problems.append(Problem(self.key_of.get(str(e["id"]), str(e["id"])), prop,
                                         "points to %(id)s, which is not a LEADS entity in this data", {"id": qid}))
        return key

    def refs(self, e: Mapping[str, Any], prop: str) -> list[str]:
        return [k for v, _ in self.vals(e, prop) if (k := self.ref(e, prop, v)) is not None]

    def one(self, e: Mapping[str, Any], prop: str) -> Any:
        values = self.vals(e, prop)
        return values[0][0] if values else None

    def qual(self, quals: dict[str, list[Any]], prop: str) -> Any:
        values = quals.get(self.pm.ids.get(prop, ""), [])
        return values[0] if values else None

    def ordinal(self, quals: dict[str, list[Any]]) -> int | None:
        value = self.qual(quals, "series-ordinal")
        try:
            return int(str(value)) if value is not None else None
        except ValueError:
            return None

    def parts(self, e: Mapping[str, Any]) -> list[Ref]:
        out = [Ref(key=k, order=self.ordinal(q)) for v, q in self.vals(e, "has-part")
               if (k := self.ref(e, "has part", v)) is not None]
        return sorted(out, key=lambda r: (r.order is None, r.order or 0))

    def requires(self, e: Mapping[str, Any]) -> list[CompetenceRequirement]:
        out = []
        for v, q in self.vals(e, "requires-competence"):
            key = self.ref(e, "requires competence", v)
            level = self.qual(q, "proficiency-level")
            if key is not None:
                out.append(CompetenceRequirement(key=key, level=self.whole(e, level)))
        return out

    def whole(self, e: Mapping[str, Any], value: Any) -> int | None:
        """A level as the whole number it must be; anything else is a problem, never truncated or left out."""
        if value is None:
            return None
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite() or number != number.to_integral_value():
            self.problems.append(Problem(self.key_of.get(str(e["id"]), str(e["id"])), LEVEL,
                                         "the level %(value)s is not a whole number; levels are 1, 2, 3…",
                                         {"value": str(value).lstrip("+")}))
            return None
        return int(number)

    def part_of(self, e: Mapping[str, Any]) -> str | None:
        v = self.one(e, "part-of")
        return self.ref(e, "part of", v) if v is not None else None

    def entity(self, e: Mapping[str, Any], kind: Kind, key: str) -> Json:
        data: Json = {"kind": kind.value, "key": key, "wikibase_id": str(e["id"]),
                      "labels": {lang: v["value"] for lang, v in (e.get("labels") or {}).items()},
                      "descriptions": {lang: v["value"] for lang, v in (e.get("descriptions") or {}).items()},
                      "wikidata": self.one(e, "wikidata-item")}
        if kind is Kind.PRACTICE:
            data["has_part"] = self.parts(e)
        elif kind is Kind.ACTIVITY:
            data.update(part_of=self.part_of(e), has_part=self.parts(e), requires=self.requires(e))
        elif kind is Kind.COMPETENCE:
            levels: dict[int, dict[str, str]] = {}
            for (lang, text), q in self.vals(e, "competence-level"):
                number = self.whole(e, self.qual(q, "series-ordinal"))
                if number is not None:
                    levels.setdefault(number, {})[lang] = text
            data.update(part_of=self.part_of(e), esco=self.one(e, "esco-skill"), capx_skill=self.one(e, "capx-skill"))
            if levels:
                data["levels"] = [ProficiencyLevel(number=n, labels=lb) for n, lb in sorted(levels.items())]
        elif kind is Kind.LEARNING_OUTCOME:
            reqs = self.requires(e)
            data.update(competence=reqs[0] if reqs else None, esco=self.one(e, "esco-skill"))
        elif kind is Kind.ASSESSMENT:
            t = self.one(e, "passing-threshold")
            data.update(passing_threshold=float(t) if t is not None else None, assesses=self.refs(e, "assesses"))
        elif kind is Kind.CREDENTIAL_DESIGN:
            ects, eqf = self.one(e, "ects"), self.one(e, "eqf-level")
            data.update(part_of=self.part_of(e), has_part=self.parts(e), requires=self.requires(e),
                        outcomes=self.refs(e, "learning-outcome"), assessed_by=self.refs(e, "assessed-by"),
                        ects=float(ects) if ects is not None else None,
                        eqf_level=self.whole(e, eqf), language=self.one(e, "language"),
                        esco=self.one(e, "esco-skill"))
        elif kind is Kind.COURSE:
            design = self.one(e, "credential-design")
            data.update(design=self.ref(e, "credential design", design) if design is not None else None,
                        url=self.one(e, "course-url"), lms=self.one(e, "lms"), language=self.one(e, "language"))
        return data

    def decode(self) -> DesignSet:
        out: list[Entity] = []
        for e, kind, key in self.items:
            try:
                out.append(_entity.validate_python(self.entity(e, kind, key)))
            except (ValidationError, InvalidOperation, ValueError, TypeError) as exc:
                self.problems.append(Problem(key, ENTITY, "cannot be read as a LEADS %(kind)s: %(reason)s",
                                             {"kind": kind.value, "reason": exc}))
        if self.problems:
            raise ValidationFailed("the Wikibase data has %(count)s problem(s); nothing was stored", self.problems,
                                   params={"count": len(self.problems)})
        return DesignSet(entities=out)


def decode_entities(entities: Iterable[Mapping[str, Any]], propmap: PropertyMap,
                    known: Mapping[str, str] | None = None) -> DesignSet:
    """A design set from entity JSON, every LEADS item (instance of a LEADS class) becoming one entity.

    ``known`` (Q id → LEADS key) resolves references to items not among ``entities`` (already stored here)."""
    return _Decoder(list(entities), propmap, known).decode()


def decode_dump(dump: Mapping[str, Any]) -> DesignSet:
    """A design set from a wbgetentities-shaped dump that also holds the LEADS property and class entities."""
    entities = list((dump.get("entities") or {}).values())
    propmap = PropertyMap.from_entities(entities)
    propmap.require_complete("the dump")
    return decode_entities(entities, propmap)


# --- a whole dump (the bundled sample) --------------------------------------------------------------------------

MODIFIED = "2026-01-15T12:00:00Z"


def export_dump(design_set: DesignSet, *, modified: str = MODIFIED) -> Json:
    """The design set as wbgetentities would return it from a Wikibase holding only LEADS data.

    Ids are handed out in order (properties, then classes, then entities), as a fresh Wikibase would.
    """
    pids = {p.key: f"P{i}" for i, p in enumerate(PROPERTIES, start=1)}
    qids = {c.key: f"Q{i}" for i, c in enumerate(CLASSES, start=1)}
    n = len(CLASSES)
    ids = {e.key: f"Q{n + i}" for i, e in enumerate(design_set.entities, start=1)}
    propmap = PropertyMap({**pids, **qids})
    out: dict[str, Json] = {}
    rev = 0

    def envelope(eid: str, body: Json) -> Json:
        nonlocal rev
        rev += 1
        prop = eid.startswith("P")
        head: Json = {"pageid": len(out) + 1, "ns": 122 if prop else 120,
                      "title": f"{'Property' if prop else 'Item'}:{eid}", "lastrevid": rev, "modified": modified,
                      "type": body["type"]}
        if prop:
            head["datatype"] = body["datatype"]
        head["id"] = eid
        head.update({k: body.get(k, {}) for k in ("labels", "descriptions", "aliases", "claims")})
        if not prop:
            head["sitelinks"] = {}
        return head

    for spec in PROPERTIES:
        out[pids[spec.key]] = envelope(pids[spec.key], property_json(spec, propmap, pids[spec.key]))
    for cspec in CLASSES:
        out[qids[cspec.key]] = envelope(qids[cspec.key], class_json(cspec, propmap, qids[cspec.key]))
    for e in design_set.entities:
        eid = ids[e.key]
        body = {"type": "item", "labels": lang_map(e.labels), "descriptions": lang_map(e.descriptions),
                "claims": claims_json(propmap, entity_claims(e, propmap, ids), entity_id=eid)}
        out[eid] = envelope(eid, body)
    return {"entities": out, "success": 1}


__all__ = ["decode_dump", "decode_entities", "encode", "encode_entity", "english_label", "export_dump"]
