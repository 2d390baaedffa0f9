"""What a push changes on one item: a three-way comparison of the last-synced state, the wiki now and LEADS.

An item is seen as *fields*: each label and description language, and each LEADS property's statements (values
and qualifiers, in order), all normalised as the wiki stores them. With the state LEADS last pulled or pushed (the
*base*), a field changed only on the wiki is kept, one changed only here is sent, and one changed on both sides to
different values is a conflict: the push stops and shows it instead of overwriting. The edit sent touches only
changed fields, and a changed statement is edited in place (same statement id), so history shows real changes.
Pure functions, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from bridge.dataspace.api import normalize

Json = dict[str, Any]
_TERMS = (("labels", "label"), ("descriptions", "description"))


@dataclass(frozen=True)
class Difference:
    """One field changed on the wiki since the base and differently in what is being pushed."""

    key: str
    entity_id: str
    field: str
    base: Any
    wiki: Any
    local: Any


def value_of(dv: Mapping[str, Any] | None) -> Any:
    """A datavalue as comparable, JSON-able data, normalised as Wikibase stores it."""
    value = (dv or {}).get("value")
    if isinstance(value, dict):
        if "id" in value or "numeric-id" in value:
            return "item:" + str(value.get("id") or f"Q{value['numeric-id']}")
        if "amount" in value:
            return ["quantity", normalize.amount(str(value["amount"])), str(value.get("unit", "1"))]
        if "text" in value:
            return ["text", str(value.get("language")), normalize.text(str(value["text"]))]
        return sorted(value.items())
    return normalize.text(value) if isinstance(value, str) else value


def statement_of(st: Mapping[str, Any]) -> list[Any]:
    main = st.get("mainsnak", {})
    quals = sorted([pid, value_of(s.get("datavalue"))] for pid, snaks in (st.get("qualifiers") or {}).items()
                   for s in snaks)
    return [value_of(main.get("datavalue")) if main.get("snaktype", "value") == "value" else main.get("snaktype"),
            quals]


def fields(entity: Mapping[str, Any], managed: set[str]) -> Json:
    """Every field of ``entity`` LEADS may write: all term languages and the statements of ``managed`` properties."""
    out: Json = {}
    for part, name in _TERMS:
        for lang, term in (entity.get(part) or {}).items():
            if isinstance(term, dict) and "value" in term and "remove" not in term:
                out[f"{name}:{lang}"] = normalize.text(str(term["value"]))
    for pid in sorted(managed):
        group = (entity.get("claims") or {}).get(pid) or []
        if group:
            out[f"claim:{pid}"] = [statement_of(st) for st in group]
    same: Json = json.loads(json.dumps(out))  # the same shapes as after a round trip through the local store
    return same


def _get(f: Mapping[str, Any], name: str) -> Any:
    return f.get(name, [] if name.startswith("claim:") else None)


def plan(current: Mapping[str, Any], desired: Mapping[str, Any], managed: set[str],
         base: Mapping[str, Any] | None, key: str = "",
         languages: Collection[str] = ()) -> tuple[Json | None, list[Difference]]:
    """(wbeditentity data or None when nothing changes, conflicts). ``base`` are the fields last synced, if any.

    Only languages the design set has are LEADS's (translations added on the wiki stay), and ``languages``: those
    an editor's form shows, where a term the wiki or the base has and the form no longer has is removed (with the
    base, only if the wiki did not change it since). Statements of properties LEADS does not manage are never
    touched.
    """
    cur, des = fields(current, managed), fields(desired, managed)
    langs = {lang for part, _ in _TERMS for lang in (desired.get(part) or {})}
    langs |= {name.partition(":")[2] for name in (*cur, *(base or {})) if name.startswith(("label:", "description:"))
              and name.partition(":")[2] in languages}
    names = [f"{name}:{lang}" for _, name in _TERMS for lang in sorted(langs)] + [f"claim:{p}" for p in sorted(managed)]
    target: Json = {}
    conflicts: list[Difference] = []
    for name in names:
        c, d = _get(cur, name), _get(des, name)
        if base is None:
            target[name] = d
            continue
        b = _get(base, name)
        wiki_changed, local_changed = c != b, d != b
        if wiki_changed and local_changed and c != d:
            conflicts.append(Difference(key, str(current.get("id", "")), name, b, c, d))
        target[name] = d if local_changed else c
    if conflicts:
        return None, conflicts
    data: Json = {}
    for part, kind in _TERMS:
        for lang in sorted(langs):
            name = f"{kind}:{lang}"
            if target[name] != _get(cur, name):
                value = target[name]
                data.setdefault(part, {})[lang] = ({"language": lang, "value": value} if value is not None
                                                   else {"language": lang, "remove": ""})
    claims: list[Json] = []
    for pid in sorted(managed):
        name = f"claim:{pid}"
        if target[name] == _get(cur, name):
            continue
        have = (current.get("claims") or {}).get(pid) or []
        want = (desired.get("claims") or {}).get(pid) or []
        for i, st in enumerate(want):
            if i < len(have):
                if statement_of(have[i]) != statement_of(st):
                    claims.append({**st, "id": have[i]["id"]})  # edited in place: the statement keeps its id
            else:
                claims.append(dict(st))
        claims += [{"id": st["id"], "remove": ""} for st in have[len(want):] if "id" in st]
    if claims:
        data["claims"] = claims
    return (data or None), []


def record(entity: Mapping[str, Any], managed: set[str]) -> Json:
    """What is kept locally about an item after a pull or push: its id, revision and fields (the next base)."""
    return {"id": str(entity.get("id", "")), "rev": int(entity.get("lastrevid", 0) or 0),
            "fields": fields(entity, managed)}


def field_name(name: str, label_of: Mapping[str, str]) -> str:
    """A field in words: ``label (en)``, or the property's label."""
    kind, _, rest = name.partition(":")
    return f"{kind} ({rest})" if kind in ("label", "description") else label_of.get(rest, rest)


def shown(value: Any, label_of: Mapping[str, str], nothing: str = "(nothing)") -> str:
    """A field's value in words: the text quoted, statements with their qualifiers, ``nothing``."""
    if value is None or value == []:
        return nothing
    if isinstance(value, list):
        return "; ".join(_show_statement(v, label_of) for v in value)
    return f"“{value}”"


def describe(diff: Difference, label_of: Mapping[str, str]) -> str:
    """A difference in words: the field, what it was, what the wiki has now, what this push has."""
    return (f"{field_name(diff.field, label_of)}: on the wiki now {shown(diff.wiki, label_of)} (was "
            f"{shown(diff.base, label_of)} at the last pull or push); this push has {shown(diff.local, label_of)}")


def _show_statement(st: Any, label_of: Mapping[str, str]) -> str:
    value, quals = st if isinstance(st, list) and len(st) == 2 else (st, [])

    def one(v: Any) -> str:
        if isinstance(v, str) and v.startswith("item:"):
            return label_of.get(v[5:], v[5:])
        if isinstance(v, list) and v and v[0] == "quantity":
            return str(v[1]).lstrip("+")
        if isinstance(v, list) and v and v[0] == "text":
            return f"{v[2]} ({v[1]})"
        return str(v)

    extra = ", ".join(f"{label_of.get(str(q[0]), str(q[0]))} {one(q[1])}" for q in quals)
    return one(value) + (f" [{extra}]" if extra else "")
