"""Publishing a form to the Wikibase as the person who signed in.

Each item is compared three ways, as ``leads wikibase push`` does: the fields the form was opened at (the *base*:
the sync record of that revision, or that revision read from the wiki), the item on the wiki now, and the form. A
field changed only on the wiki is kept, one changed only in the form is sent, one changed on both sides differently
is a conflict; the names and descriptions in the form's languages are fields too, so clearing one removes it. The
real wiki cannot be left to find conflicts: on ``baserevid`` it replaces a statement by its GUID whatever it holds
now (decision 016). Every item is checked before anything is written, so a conflict writes nothing. New items are
made as stubs first (so references have ids), then each item gets only what changed, with ``baserevid`` = the
revision compared against, so the wiki patches or refuses only edits made in the moment between. Afterwards the
local store holds each item as the wiki now has it and the sync records its fields: the next base.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bridge.dataspace.api import EntityBase
from bridge.editor.forms import LANGS
from bridge.errors import LeadsError, Term, ValidationFailed
from bridge.wikibase.api import (
    CLASS_BY_KEY,
    LEADS_KEY,
    PROPERTIES,
    PROPERTY_BY_KEY,
    PropertyMap,
    WikibaseApiError,
    WikibaseClient,
    codec,
    load_records,
    sync,
)

Json = dict[str, Any]
#: Stand-in ids for items not made yet (only compared, never sent).
_PLACEHOLDER = 10 ** 15
NOTHING = Term("nothing")
LANGUAGE_NAMES = {"en": "English", "es": "Español"}  # as the form names them


def _n(text: str) -> str:
    """Marks a message for the catalogue (``pybabel -k _n``); translated where it is shown."""
    return text


TERM_WORDS = {"label": _n("Name"), "description": _n("Description")}  # EditConflict.rows, as the form says
_n("(nothing)")

@dataclass
class Published:
    entities: list[EntityBase]  # as the wiki now has them (what the local store keeps)
    revisions: dict[str, int] = field(default_factory=dict)
    records: dict[str, Json] = field(default_factory=dict)  # key -> sync.record: the next base


class EditConflict(LeadsError):
    """Someone changed on the wiki, since the form was opened, fields the form changes too; nothing was written."""

    def __init__(self, differences: list[sync.Difference], revisions: dict[str, int],
                 names: Mapping[str, Mapping[str, str]], main: str) -> None:
        super().__init__(_n("%(keys)s changed on the wiki since you opened the form"), code="edit_conflict",
                         status=409, params={"keys": ", ".join(sorted({d.key for d in differences}))})
        self.differences, self.names, self.main = differences, names, main
        self.revisions = revisions  # key -> the wiki's revision now: the form's new base for that item

    def rows(self, gettext: Callable[[str], str], lang: str) -> list[tuple[str, str, str, str]]:
        """(key, field, on the wiki now, yours) in the page's language: the form's words for names and
        descriptions, the schema's property labels, "(nothing)" translated; another item's fields under its key."""
        label_of = self.names.get(lang) or self.names["en"]
        nothing = gettext("(nothing)")

        def where(diff: sync.Difference) -> str:
            kind, _, rest = diff.field.partition(":")
            term = TERM_WORDS.get(kind)
            name = f"{gettext(term)} ({LANGUAGE_NAMES.get(rest, rest)})" if term else label_of.get(rest, rest)
            return name if diff.key == self.main else f"{diff.key}: {name}"

        return [(d.key, where(d), sync.shown(d.wiki, label_of, nothing), sync.shown(d.local, label_of, nothing))
                for d in self.differences]

class PartlyPublished(LeadsError):
    """The wiki stopped answering, or refused, part-way: some items are saved there, the rest are not. ``done``
    is what the local store and the sync records take (what the wiki now has of the items saved)."""

    def __init__(self, cause: LeadsError, done: Published, saved: list[str], pending: list[str]) -> None:
        super().__init__(_n("%(cause)s. Saved on the wiki under your name: %(saved)s. Not saved, or only begun: "
                            "%(pending)s. Publish again to finish: what was saved is not sent twice"),
                         code="partly_published", status=cause.status,
                         params={"cause": cause, "saved": ", ".join(saved) or NOTHING, "pending": ", ".join(pending)})
        self.done = done


def publish(client: WikibaseClient, propmap: PropertyMap, entities: list[EntityBase], known: Mapping[str, EntityBase],
            summary: str, base_revs: Mapping[str, int], db: Any) -> Published:
    """Check every item against its base, then create or update each as the client's person."""
    managed = {propmap.pid(p.key) for p in PROPERTIES}
    records = load_records(db, client.api_url)
    ids = {k: str(e.wikibase_id) for k, e in known.items() if e.wikibase_id}
    ids |= {e.key: str(e.wikibase_id) for e in entities if e.wikibase_id}
    stubs = {e.key: str(records[e.key]["id"]) for e in entities  # made by a publish cut short, recorded
             if e.key not in ids and records.get(e.key, {}).get("id")}
    bases: dict[str, Json] = {}
    current = client.get_entities([ids[e.key] for e in entities if e.key in ids])
    current |= client.get_entities(stubs.values(), allow_missing=True)
    ids |= {k: eid for k, eid in stubs.items() if eid in current}
    found = _on_the_wiki(client, propmap, [e for e in entities if e.key not in ids])
    current |= client.get_entities(found.values())
    for e in entities:
        if e.key in found:  # an item with this key is on the wiki already: taken over only if it is our own stub
            _adopt(e, found[e.key], current, propmap, ids, managed)
            ids[e.key] = found[e.key]
            bases[e.key] = sync.fields(current[ids[e.key]], managed)
    new = {e.key for e in entities if e.key not in ids}
    check_ids = ids | {k: f"Q{_PLACEHOLDER + i}" for i, k in enumerate(sorted(new))}
    rest = sorted(set(known) - set(check_ids))
    every_id = check_ids | {k: f"Q{_PLACEHOLDER + len(new) + i}" for i, k in enumerate(rest)}
    differences: list[sync.Difference] = []
    for e in entities:
        if e.key in new:
            continue
        eid = ids[e.key]
        _check_key(e.key, eid, current[eid], propmap)
        if e.key not in bases:
            bases[e.key] = _base(client, eid, current[eid], base_revs.get(e.key), records.get(e.key),
                                 known.get(e.key), propmap, every_id, managed)
        differences += sync.plan(current[eid], codec.encode_entity(e, propmap, check_ids), managed, bases[e.key],
                                 e.key, LANGS)[1]
    if differences:
        raise _conflict(differences, current, propmap, ids, entities[0].key)
    saved: dict[str, Json] = {}  # key -> the item on the wiki after this publish (made, changed, or as it was)
    stubbed: dict[str, Json] = {}
    try:
        for e in entities:
            if e.key in new:
                stub = codec.encode_entity(e, propmap, ids, stub=True)
                entity = client.call({"action": "wbeditentity", "new": "item", "data": _json(stub),
                                      "summary": summary}, write=True)["entity"]
                ids[e.key] = str(entity["id"])
                current[ids[e.key]] = stubbed[e.key] = entity
        for e in entities:
            saved[e.key] = _write(client, e, current[ids[e.key]], propmap, ids, managed,
                                  None if e.key in new else bases[e.key], summary, entities[0].key)
    except LeadsError as exc:
        if not stubbed and not any(saved[k] is not current[ids[k]] for k in saved):
            raise  # nothing reached the wiki
        done = _stored([e for e in entities if e.key in saved], saved, propmap, ids, known, managed, partial=True)
        done.records |= {k: sync.record(item, managed) for k, item in stubbed.items() if k not in saved}
        written = [e.key for e in entities if e.key in saved and saved[e.key] is not current[ids[e.key]]]
        raise PartlyPublished(exc, done, written, [e.key for e in entities if e.key not in saved]) from None
    return _stored(entities, saved, propmap, ids, known, managed)


def _write(client: WikibaseClient, e: EntityBase, now: Json, propmap: PropertyMap, ids: Mapping[str, str],
           managed: set[str], base: Json | None, summary: str, main: str) -> Json:
    """Send one item what changed, based on the revision just compared against; the item as the wiki has it."""
    eid = ids[e.key]
    data, _ = sync.plan(now, codec.encode_entity(e, propmap, ids), managed, base, e.key, LANGS)
    if data is None:
        return now
    params: Json = {"action": "wbeditentity", "id": eid, "data": _json(data), "summary": summary,
                    "baserevid": str(now.get("lastrevid", 0))}
    try:
        return dict(client.call(params, write=True)["entity"])
    except WikibaseApiError as exc:
        if exc.api_code != "editconflict":
            raise
    fresh = client.get_entities([eid])  # changed in the moment between reading and writing
    diffs = sync.plan(fresh[eid], codec.encode_entity(e, propmap, ids), managed, base, e.key, LANGS)[1]
    raise _conflict(diffs, fresh, propmap, ids, main)


def _on_the_wiki(client: WikibaseClient, propmap: PropertyMap, new: list[EntityBase]) -> dict[str, str]:
    """Items already carrying these new keys, whatever their names: the key index (what links to the LEADS key
    property), then an exact name search for what the index does not list yet; each confirmed by its key."""
    if not new:
        return {}
    names = {e.key: e.labels.get("en") or next((v for v in e.labels.values() if v), "") for e in new}
    return client.find_by_key([e.key for e in new], propmap, {k: v for k, v in names.items() if v})


def _adopt(entity: EntityBase, eid: str, current: Mapping[str, Json], propmap: PropertyMap, ids: Mapping[str, str],
           managed: set[str]) -> None:
    """An item already carrying a new key is taken over only if it holds exactly the stub this publish would make
    (one an earlier publish, cut short, left): anything more is someone's, which a new form knows nothing of."""
    stub = codec.encode_entity(entity, propmap, {**ids, entity.key: eid}, stub=True)
    if sync.fields(current[eid], managed) != sync.fields(stub, managed):
        raise LeadsError("the key '%(key)s' is already used on the wiki by %(id)s, which this data space has not "
                         "pulled; pull its practice (`leads wikibase pull`) and edit it, or choose another key",
                         code="key_on_wiki", status=409, params={"key": entity.key, "id": eid})


def _check_key(key: str, eid: str, now: Mapping[str, Any], propmap: PropertyMap) -> None:
    """The item stored here under ``key`` must still carry it on the wiki (someone may have changed it there)."""
    statements = sync.fields(now, {propmap.pid(LEADS_KEY)}).get(f"claim:{propmap.pid(LEADS_KEY)}", [])
    if [key, []] not in statements:
        raise LeadsError("%(id)s on the wiki no longer carries the key '%(key)s'; pull its practice (`leads "
                         "wikibase pull`) before editing it", code="key_moved_on_wiki", status=409,
                         params={"key": key, "id": eid})


def _base(client: WikibaseClient, eid: str, now: Mapping[str, Any], rev: int | None, record: Json | None,
          local: EntityBase | None, propmap: PropertyMap, ids: Mapping[str, str], managed: set[str]) -> Json:
    """The fields the form was opened at: the sync record of its revision, or that revision read from the wiki; an
    item never synced here starts from the copy stored here."""
    if record and record.get("id") == eid and isinstance(record.get("fields"), dict) and (
            rev is None or int(record.get("rev", 0)) == rev):
        return dict(record["fields"])
    if rev is None:
        return sync.fields(codec.encode_entity(local, propmap, ids) if local is not None else now, managed)
    if int(now.get("lastrevid", 0)) == rev:
        return sync.fields(now, managed)
    then = client.entity_at(eid, rev)
    if then is None:
        raise LeadsError("the wiki has no revision %(rev)s of %(id)s, which this form was opened at; open the form "
                         "again", code="base_revision_missing", status=409, params={"rev": rev, "id": eid})
    return sync.fields(then, managed)


def _stored(entities: list[EntityBase], saved: Mapping[str, Json], propmap: PropertyMap, ids: Mapping[str, str],
            known: Mapping[str, EntityBase], managed: set[str], partial: bool = False) -> Published:
    """Each item as the wiki now has it (edits kept from the wiki included), read as a pull reads it. An item the
    wiki holds something of that does not fit here (a link to an item not stored here) keeps the form's version
    and its old record: the wiki's part then counts as a wiki edit, which the next pull brings in. After a
    ``partial`` publish such an item is not stored (its links may name items not complete on the wiki); a new
    one gets its record only, so the next publish finds it."""
    here = {ids[k]: k for k in set(known) | {e.key for e in entities} if k in ids}
    out = Published([])
    for e in entities:
        item = saved[e.key]
        try:
            [read] = codec.decode_entities([item], propmap, here).entities
        except (ValidationFailed, ValueError):
            read = None
        if read is None or read.key != e.key or read.kind != e.kind:
            if not partial:
                out.entities.append(e.model_copy(update={"wikibase_id": ids[e.key]}))
                out.revisions[e.key] = int(item.get("lastrevid", 0) or 0)
            elif e.key not in known:  # new here: its record alone lets the next publish find and complete it
                out.records[e.key] = sync.record(item, managed)
            continue
        out.revisions[e.key] = int(item.get("lastrevid", 0) or 0)
        out.entities.append(read)
        out.records[e.key] = sync.record(item, managed)
    return out


def _conflict(differences: list[sync.Difference], current: Mapping[str, Json], propmap: PropertyMap,
              ids: Mapping[str, str], main: str) -> EditConflict:
    names: dict[str, dict[str, str]] = {}
    for lang in LANGS:  # the schema's labels of LEADS properties and classes; items by their LEADS key
        names[lang] = {eid: key for key, eid in ids.items()}
        names[lang] |= {pid: spec.labels.get(lang) or spec.labels["en"] for k, pid in propmap.ids.items()
                        if (spec := PROPERTY_BY_KEY.get(k) or CLASS_BY_KEY.get(k)) is not None}
    revisions = {d.key: int(current[d.entity_id].get("lastrevid", 0)) for d in differences}
    return EditConflict(differences, revisions, names, main)


def _json(data: Json) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
