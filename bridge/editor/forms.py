"""The editor's forms: which fields each kind of entity has, and form data to entities and back.

One description of the fields serves the page (what to show), the live check and the save (how to read it), so
what the browser checks as you type is exactly what is saved. Form values arrive as ``name -> [values]``; a form
that does not even fit the model (a key with capitals, a word where a number goes) gives ``Problem``s in the same
shape as the validation's, never an exception.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from bridge.dataspace.api import ESSENCE_LEVELS, Activity, Entity, EntityBase, Kind, Practice
from bridge.errors import Problem, Term

Form = Mapping[str, Sequence[str]]
LANGS = ("en", "es")
_entity: TypeAdapter[Entity] = TypeAdapter(Entity)
_n = str  # marks msgids for extraction; translated where shown
KEY = Term("key")

# the URL segment of each kind in /edit/...
SLUGS: dict[str, Kind] = {"practice": Kind.PRACTICE, "activity": Kind.ACTIVITY, "competence": Kind.COMPETENCE,
                          "outcome": Kind.LEARNING_OUTCOME, "assessment": Kind.ASSESSMENT,
                          "design": Kind.CREDENTIAL_DESIGN, "course": Kind.COURSE}
SLUG_OF = {kind: slug for slug, kind in SLUGS.items()}
KIND_NAMES = {Kind.PRACTICE: _n("Practice"), Kind.COMPETENCE: _n("Competence"),
              Kind.LEARNING_OUTCOME: _n("Learning outcome"), Kind.ASSESSMENT: _n("Assessment"),
              Kind.CREDENTIAL_DESIGN: _n("Credential design"), Kind.COURSE: _n("Course"),
              Kind.ACTIVITY: _n("Activity")}


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # text | number | ref | refs | ordered | requirement | levels | activities | search | select
    label: str
    kinds: tuple[Kind, ...] = ()
    search: str = ""  # "wikidata" | "esco": search-as-you-type on the configured Wikibase
    help: str = ""


COMMON_TAIL = (Field("wikidata", "search", _n("Wikidata item"), search="wikidata",
                     help=_n("Type a few letters to search; the item id (Q…) is kept")),)
FIELDS: dict[Kind, tuple[Field, ...]] = {
    Kind.PRACTICE: (Field("activities", "activities", _n("Activities, in order")), *COMMON_TAIL),
    Kind.ACTIVITY: (Field("part_of", "ref", _n("Part of (practice or activity)"), (Kind.PRACTICE, Kind.ACTIVITY)),
                    Field("has_part", "ordered", _n("Sub-activities, in order"), (Kind.ACTIVITY,)),
                    Field("requires", "requirements", _n("Competences it needs, with the level"),
                          (Kind.COMPETENCE,)), *COMMON_TAIL),
    Kind.COMPETENCE: (Field("part_of", "ref", _n("Practice"), (Kind.PRACTICE,)),
                      Field("levels", "levels", _n("Proficiency levels")),
                      Field("esco", "search", _n("ESCO skill"), search="esco",
                            help=_n("Type a few letters to search, or paste the ESCO skill URI")),
                      *COMMON_TAIL),
    Kind.LEARNING_OUTCOME: (Field("competence", "requirement", _n("Competence and level it shows"),
                                  (Kind.COMPETENCE,)),
                            Field("esco", "search", _n("ESCO skill"), search="esco"),),
    Kind.ASSESSMENT: (Field("passing_threshold", "number", _n("Pass mark (percent)")),
                      Field("assesses", "refs", _n("Learning outcomes it assesses"), (Kind.LEARNING_OUTCOME,))),
    Kind.CREDENTIAL_DESIGN: (Field("part_of", "ref", _n("Practice"), (Kind.PRACTICE,)),
                             Field("has_part", "ordered", _n("Stacked from, in order"), (Kind.CREDENTIAL_DESIGN,)),
                             Field("ects", "number", _n("ECTS credit points")),
                             Field("eqf_level", "select", _n("EQF level")),
                             Field("language", "text", _n("Language (code such as en or es)")),
                             Field("outcomes", "refs", _n("Learning outcomes"), (Kind.LEARNING_OUTCOME,)),
                             Field("assessed_by", "refs", _n("Assessments"), (Kind.ASSESSMENT,)),
                             Field("esco", "search", _n("ESCO skill"), search="esco"),
                             *COMMON_TAIL),
    Kind.COURSE: (Field("design", "ref", _n("Credential design it leads to"), (Kind.CREDENTIAL_DESIGN,)),
                  Field("url", "text", _n("Course address (URL)")),
                  Field("lms", "text", _n("Learning platform (moodle, openedx, other)")),
                  Field("language", "text", _n("Language (code such as en or es)"))),
}
ORDERED_SLOTS = 2  # empty rows offered after the filled ones
ACTIVITY_SLOTS = 2


def _one(form: Form, name: str) -> str:
    values = form.get(name) or [""]
    return str(values[0]).strip()


def _optional(form: Form, name: str) -> str | None:
    return _one(form, name) or None


def _number(form: Form, name: str, key: str, label: str, problems: list[Problem], integer: bool = False) -> Any:
    raw = _one(form, name).replace(",", ".")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        field = Term(label)
        problems.append(Problem(key, field, "'%(value)s' is not a number", {"value": raw}))
        return None
    return int(value) if integer and value.is_integer() else value


def _indexed(form: Form, prefix: str) -> list[int]:
    """The row numbers present for ``prefix.N.…`` or ``prefix.N`` fields, in order."""
    rows = set()
    for name in form:
        if name.startswith(prefix + "."):
            head = name[len(prefix) + 1:].split(".")[0]
            if head.isdigit():
                rows.add(int(head))
    return sorted(rows)


def parse(kind: Kind, form: Form, known: Mapping[str, EntityBase]) -> tuple[list[EntityBase], list[Problem]]:
    """The entities a form describes (for a practice also its activities, in order) and what does not fit."""
    key = _one(form, "key").lower()
    problems: list[Problem] = []
    data: dict[str, Any] = {"kind": kind.value, "key": key,
                            "labels": {lang: _one(form, f"label.{lang}") for lang in LANGS
                                       if _one(form, f"label.{lang}")},
                            "descriptions": {lang: _one(form, f"description.{lang}") for lang in LANGS
                                             if _one(form, f"description.{lang}")}}
    old = known.get(key)
    if old is not None and old.kind == kind:  # fields the form does not show are kept as they are
        data = {**old.model_dump(mode="json"), **data}
    extra: list[EntityBase] = []
    for field in FIELDS[kind]:
        name = field.name
        if field.type in ("text", "search", "ref"):
            data[name] = _optional(form, name)
        elif field.type == "number":
            data[name] = _number(form, name, key, field.label, problems)
        elif field.type == "select":
            data[name] = _number(form, name, key, field.label, problems, integer=True)
        elif field.type == "refs":
            data[name] = [v for v in form.get(name, []) if v]
        elif field.type == "ordered":
            keys = [_one(form, f"{name}.{i}") for i in _indexed(form, name)]
            data[name] = [{"key": k, "order": n + 1} for n, k in enumerate(k for k in keys if k)]
        elif field.type == "requirement":
            ref = _optional(form, name)
            level = _number(form, f"{name}.level", key, field.label, problems, integer=True)
            data[name] = {"key": ref, "level": level} if ref else None
        elif field.type == "requirements":
            reqs = []
            for i in _indexed(form, name):
                ref = _one(form, f"{name}.{i}")
                if ref:
                    level = _number(form, f"{name}.{i}.level", key, field.label, problems, integer=True)
                    reqs.append({"key": ref, "level": level})
            data[name] = reqs
        elif field.type == "levels":
            levels: list[dict[str, Any]] = []
            for i in _indexed(form, name):
                labels = {lang: _one(form, f"{name}.{i}.{lang}") for lang in LANGS if _one(form, f"{name}.{i}.{lang}")}
                if labels:
                    levels.append({"number": len(levels) + 1, "labels": labels})
            data[name] = levels
        elif field.type == "activities":
            parts, extra = _activities(form, key, known, problems)
            data["has_part"] = parts
            data.pop(name, None)
    try:
        entity = _entity.validate_python(data)
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(x) for x in err["loc"][1:]) or "entity"
            said = _plain(err["msg"], where)
            problems.append(Problem(key or "(no key)", where, said))
        return [], problems
    return [entity, *extra], problems


def _plain(msg: str, where: str) -> str:
    if where == "key":
        return _n("use small letters, digits and hyphens, such as my-practice")
    return msg


def _activities(form: Form, practice: str, known: Mapping[str, EntityBase],
                problems: list[Problem]) -> tuple[list[dict[str, Any]], list[EntityBase]]:
    parts: list[dict[str, Any]] = []
    activities: list[EntityBase] = []
    for i in _indexed(form, "activity"):
        key = _one(form, f"activity.{i}.key").lower()
        labels = {lang: _one(form, f"activity.{i}.{lang}") for lang in LANGS if _one(form, f"activity.{i}.{lang}")}
        if not key and not labels:
            continue
        parts.append({"key": key, "order": len(parts) + 1})
        old = known.get(key)
        base = old.model_dump(mode="json") if isinstance(old, Activity) else {}
        try:
            activities.append(Activity.model_validate({**base, "kind": "activity", "key": key,
                                                       "labels": {**base.get("labels", {}), **labels},
                                                       "part_of": practice}))
        except ValidationError:
            problems.append(Problem(key or f"activity {i}", KEY, "use small letters, digits and hyphens, such "
                                    "as my-activity"))
    return parts, activities


def values(entity: EntityBase | None, known: Mapping[str, EntityBase]) -> dict[str, Any]:
    """What the form shows for ``entity`` (or a new one): plain strings and lists, rows padded with empty ones."""
    data = entity.model_dump(mode="json") if entity is not None else {}
    out: dict[str, Any] = {"key": data.get("key", "")}
    for lang in LANGS:
        out[f"label.{lang}"] = data.get("labels", {}).get(lang, "")
        out[f"description.{lang}"] = data.get("descriptions", {}).get(lang, "")
    for name in ("part_of", "wikidata", "esco", "language", "url", "lms", "design"):
        out[name] = data.get(name) or ""
    for name in ("passing_threshold", "ects", "eqf_level"):
        value = data.get(name)
        out[name] = "" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))
    for name in ("assesses", "outcomes", "assessed_by"):
        out[name] = list(data.get(name) or [])
    parts = [r["key"] for r in sorted(data.get("has_part") or [], key=lambda r: r.get("order") or 0)]
    out["has_part"] = parts + [""] * ORDERED_SLOTS
    out["requires"] = [{"key": r["key"], "level": str(r.get("level") or "")} for r in data.get("requires") or []
                       if isinstance(entity, Activity)] + [{"key": "", "level": ""}] * ORDERED_SLOTS
    comp = data.get("competence") or {}
    out["competence"], out["competence.level"] = comp.get("key") or "", str(comp.get("level") or "")
    levels = data.get("levels") if entity is not None else [lv.model_dump() for lv in ESSENCE_LEVELS]
    out["levels"] = [{lang: lv.get("labels", {}).get(lang, "") for lang in LANGS} for lv in levels or []]
    if isinstance(entity, Practice) or entity is None:
        rows = []
        for key in parts:
            act = known.get(key)
            rows.append({"key": key, **{lang: (act.labels.get(lang, "") if act else "") for lang in LANGS}})
        out["activities"] = rows + [{"key": "", "en": "", "es": ""}] * ACTIVITY_SLOTS
    return out


def options(kinds: Sequence[Kind], known: Mapping[str, EntityBase], lang: str) -> list[tuple[str, str]]:
    """(key, label) of the entities a reference may point to, by label."""
    found = [(e.key, e.label(lang)) for e in known.values() if Kind(e.kind) in kinds]
    return sorted(found, key=lambda kv: kv[1].lower())
