"""The Wikibase client: bootstrap the model, push design sets, pull a practice's graph.

Requests go through :class:`~bridge.wikibase.transport.Transport` (log-in by wikibaseintegrator, a steady pace
below the account's rate, retries as long as the wiki asks). A push compares what the wiki has now with what LEADS
last synced (:mod:`bridge.wikibase.sync`): it stops and shows the difference where both sides changed the same
field, sends only what changed, with ``baserevid``, and edits statements in place. Items are found by their LEADS
key without CirrusSearch (the key property's usages, then an exact label search) and their key is always checked.
Nothing is written locally by this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bridge import metrics
from bridge.dataspace.api import DesignSet, check, normalize
from bridge.errors import LeadsError, NotFound, Problem, Term, UpstreamError
from bridge.settings import Settings
from bridge.wikibase import codec, sync
from bridge.wikibase.propmap import PropertyMap, string_values
from bridge.wikibase.schema import CLASS_BY_KEY, CLASSES, LEADS_KEY, PROPERTIES, PROPERTY_BY_KEY
from bridge.wikibase.transport import Transport, WikibaseApiError

Json = dict[str, Any]
BATCH = 50  # wbgetentities and prop=linkshere take at most 50 ids per request
_ENTITY_ID = re.compile(r"^[PQ][1-9][0-9]*$")
#: Kinds whose parts and courses point *at* them (part of / leads to credential), found through linkshere.
_REVERSE_KINDS = {"class-practice", "class-activity", "class-credential-design"}
#: Stand-in ids for items a push has not created yet (only compared, never sent).
_PLACEHOLDER = 10 ** 15
CHANGED_ON_THE_WIKI = Term("changed on the wiki")
INTERRUPTED = Term("it was interrupted (Ctrl-C)")
NONE = Term("none")

__all__ = ["BootstrapReport", "PullResult", "PushConflict", "PushInterrupted", "PushReport", "WikibaseApiError",
           "WikibaseClient"]


@dataclass
class BootstrapReport:
    created: list[tuple[str, str]] = field(default_factory=list)
    found: list[tuple[str, str]] = field(default_factory=list)
    propmap: PropertyMap = field(default_factory=PropertyMap)


@dataclass
class PushReport:
    created: list[tuple[str, str]] = field(default_factory=list)
    updated: list[tuple[str, str]] = field(default_factory=list)
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    merged: list[tuple[str, str]] = field(default_factory=list)  # updated, keeping edits made on the wiki
    records: dict[str, Json] = field(default_factory=dict)  # key -> sync.record of the item as now on the wiki


@dataclass
class PullResult:
    design_set: DesignSet
    entities: list[Json]
    levels: list[int]
    records: dict[str, Json] = field(default_factory=dict)


class PushConflict(LeadsError):
    """The wiki changed a field since the last pull that this push changes too; nothing was written."""

    def __init__(self, message: str, problems: list[Problem], differences: list[sync.Difference],
                 params: Json | None = None) -> None:
        super().__init__(message, code="wikibase_edit_conflict", status=409, problems=problems, params=params or {})
        self.differences = differences


class PushInterrupted(UpstreamError):
    """A push stopped part-way; the message says what is on the wiki now and that running it again finishes it."""

    def __init__(self, message: str, report: PushReport, params: Json | None = None) -> None:
        super().__init__(message, code="wikibase_push_interrupted", params=params)
        self.report = report


class WikibaseClient:
    """One Wikibase; log-in happens on the first write (reads are anonymous)."""

    def __init__(self, api_url: str, *, user_agent: str, user: str | None = None, password: str | None = None,
                 oauth_client_id: str | None = None, oauth_client_secret: str | None = None,
                 rest_url: str | None = None, max_retries: int = 5, backoff_seconds: float = 1.0,
                 timeout: float = 30.0, sleep: Callable[[float], None] | None = None,
                 clock: Callable[[], float] | None = None, edits_per_minute: float | None = None,
                 retry_budget: float | None = None, notify: Callable[[str], None] | None = None) -> None:
        oauth = (oauth_client_id, oauth_client_secret) if oauth_client_id and oauth_client_secret else None
        extra: Json = {"retry_budget": retry_budget} if retry_budget is not None else {}
        self.transport = Transport(api_url, user_agent=user_agent, user=user, password=password, oauth=oauth,
                                   rest_url=rest_url, max_retries=max_retries, backoff_seconds=backoff_seconds,
                                   timeout=timeout, sleep=sleep, clock=clock, edits_per_minute=edits_per_minute,
                                   notify=notify, **extra)
        self.api_url = api_url
        self.notify = notify or (lambda text: None)
        self._key_index: dict[str, list[str]] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> WikibaseClient:
        if not settings.wikibase_api_url:
            raise LeadsError("no Wikibase configured: set LEADS_WIKIBASE_API_URL (e.g. "
                             "https://leads.wikibase.cloud/w/api.php)", code="wikibase_not_configured")
        password = settings.wikibase_password.get_secret_value() if settings.wikibase_password else None
        secret = settings.wikibase_oauth_client_secret
        return cls(settings.wikibase_api_url, user_agent=settings.user_agent, user=settings.wikibase_user,
                   password=password, oauth_client_id=settings.wikibase_oauth_client_id,
                   oauth_client_secret=secret.get_secret_value() if secret else None,
                   rest_url=settings.wikibase_rest_url, max_retries=settings.wikibase_max_retries,
                   backoff_seconds=settings.wikibase_backoff_seconds, **kwargs)

    def call(self, data: Json, *, write: bool = False) -> Json:
        return self.transport.call(data, write=write)

    # --- reads ------------------------------------------------------------------------------------------------

    def get_entities(self, ids: Iterable[str], *, allow_missing: bool = False) -> dict[str, Json]:
        """wbgetentities in batches of 50; a missing entity is ``NotFound`` unless ``allow_missing``."""
        wanted = list(dict.fromkeys(ids))
        out: dict[str, Json] = {}
        for i in range(0, len(wanted), BATCH):
            chunk = wanted[i:i + BATCH]
            answer = self.call({"action": "wbgetentities", "ids": "|".join(chunk)})
            out.update(answer.get("entities", {}))
        missing = [eid for eid in wanted if eid not in out or "missing" in out[eid]]
        if missing and not allow_missing:
            raise NotFound("the Wikibase at %(api_url)s has no entity %(ids)s; it may have been deleted or the id is "
                           "wrong", code="wikibase_missing_entity",
                           params={"api_url": self.api_url, "ids": ", ".join(missing)})
        return {eid: e for eid, e in out.items() if "missing" not in e}

    def entity_at(self, entity_id: str, revision: int) -> Json | None:
        """The entity as it was at ``revision`` (the page content of that revision), or None if the wiki has no
        such revision of it: the base a person's form was opened at, when it is no longer the latest."""
        answer = self.call({"action": "query", "prop": "revisions", "revids": str(revision),
                            "rvprop": "ids|content", "rvslots": "main", "formatversion": "2"})
        for page in answer.get("query", {}).get("pages", []):
            for rev in page.get("revisions", []):
                content = rev.get("slots", {}).get("main", {}).get("content")
                if int(rev.get("revid", 0)) == revision and isinstance(content, str):
                    entity = json.loads(content)
                    if isinstance(entity, dict) and entity.get("id") == entity_id:
                        return entity
        return None

    def search(self, label: str, entity_type: str = "item", language: str = "en") -> list[str]:
        """Ids whose label in ``language`` is exactly ``label`` (wbsearchentities matches prefixes)."""
        label = normalize.text(label)
        answer = self.call({"action": "wbsearchentities", "search": label, "language": language,
                            "type": entity_type, "limit": "50", "strictlanguage": "1"})
        return [str(h["id"]) for h in answer.get("search", []) if h.get("label") == label]

    def links_here(self, pageids: Iterable[int]) -> set[str]:
        """Ids of the pages that link to any of ``pageids`` (prop=linkshere, 50 pages a request, continued)."""
        out: set[str] = set()
        ids = [str(p) for p in dict.fromkeys(pageids)]
        for i in range(0, len(ids), BATCH):
            params: Json = {"action": "query", "prop": "linkshere", "pageids": "|".join(ids[i:i + BATCH]),
                            "lhprop": "title", "lhlimit": "max"}
            while True:
                answer = self.call(params)
                for page in answer.get("query", {}).get("pages", {}).values():
                    for link in page.get("linkshere", []):
                        eid = str(link.get("title", "")).rsplit(":", 1)[-1]
                        if _ENTITY_ID.match(eid):
                            out.add(eid)
                if "continue" not in answer:
                    break
                params = {**params, **answer["continue"]}
        return out

    def key_index(self, propmap: PropertyMap) -> dict[str, list[str]]:
        """LEADS key → item ids, from every item that uses the LEADS key property (no CirrusSearch needed).

        Wikibase records a page link from an item to each property its statements use, so the key property's
        "what links here" lists the LEADS items; they are read 50 at a time and their key statements collected.
        """
        if self._key_index is None:
            key_pid = propmap.pid(LEADS_KEY)
            prop = self.get_entities([key_pid]).get(key_pid, {})
            users = sorted(e for e in self.links_here([int(prop["pageid"])]) if e.startswith("Q")) \
                if "pageid" in prop else []
            index: dict[str, list[str]] = {}
            for eid, entity in self.get_entities(users, allow_missing=True).items():
                for key in string_values(entity, key_pid):
                    index.setdefault(key, []).append(eid)
            self._key_index = index
        return self._key_index

    def find_by_key(self, keys: Iterable[str], propmap: PropertyMap,
                    labels: Mapping[str, str] | None = None) -> dict[str, str]:
        """LEADS key → Q id, each confirmed by the item's key statement: the key index, then an exact label
        search for what the index lacks (its links are updated a moment after an edit)."""
        wanted = list(dict.fromkeys(keys))
        index = self.key_index(propmap) if wanted else {}
        out = {k: sorted(index[k], key=lambda q: int(q[1:]))[0] for k in wanted if index.get(k)}
        names = labels or {}
        searched = {k: self.search(names[k], "item") for k in wanted if k not in out and names.get(k)}
        return out | self.confirm(searched, propmap)

    def confirm(self, candidates: Mapping[str, list[str]], propmap: PropertyMap) -> dict[str, str]:
        """Of each key's candidate ids, the one whose LEADS key statement is that key (read in one batch)."""
        key_pid = propmap.pid(LEADS_KEY)
        fetched = self.get_entities([c for cs in candidates.values() for c in cs if _ENTITY_ID.match(c)],
                                    allow_missing=True)
        return {key: eid for key, cands in candidates.items() for eid in reversed(cands)
                if key in string_values(fetched.get(eid, {}), key_pid)}

    # --- the property map -------------------------------------------------------------------------------------

    def discover(self) -> tuple[PropertyMap, dict[str, Json]]:
        """Find the LEADS properties and classes by exact English label, confirmed by their LEADS key statements."""
        candidates: list[str] = []
        for p in PROPERTIES:
            candidates += self.search(p.labels["en"], "property")
        for c in CLASSES:
            candidates += self.search(c.labels["en"], "item")
        entities = self.get_entities(candidates, allow_missing=True)
        return PropertyMap.from_entities(entities.values()), entities

    def property_map(self, settings: Settings | None = None) -> PropertyMap:
        if settings is not None and settings.wikibase_property_map:
            return PropertyMap.load(settings.wikibase_property_map)
        return self.discover()[0].require_complete(f"the Wikibase at {self.api_url}")

    # --- bootstrap --------------------------------------------------------------------------------------------

    def create(self, data: Json, new: str) -> Json:
        answer = self.call({"action": "wbeditentity", "new": new, "data": _json(data)}, write=True)
        return dict(answer["entity"])

    def create_or_adopt(self, data: Json, new: str, key: str, key_pid: str | None, *,
                        adopt_unkeyed: bool = False) -> tuple[Json, bool]:
        """Create an entity, or (entity, False) for the one a label clash shows is already there.

        Search indexes lag behind edits, so an entity made a moment ago may not be found by searching; the
        label-uniqueness check of wbeditentity names it, and it is adopted if its LEADS key is ``key`` (or, for
        ``adopt_unkeyed``, if it has no LEADS key at all, as when a property is found by label).
        """
        try:
            return self.create(data, new), True
        except WikibaseApiError as exc:
            if not exc.conflicts:
                raise
            for eid, entity in self.get_entities(exc.conflicts, allow_missing=True).items():
                keys = string_values(entity, key_pid or eid)
                if key in keys or (adopt_unkeyed and not keys):
                    return entity, False
            raise WikibaseApiError("%(cause)s. %(ids)s is not the LEADS '%(key)s': change one of the two labels",
                                   exc.api_code, exc.conflicts,
                                   params={"cause": exc, "ids": ", ".join(exc.conflicts), "key": key}) from None

    def edit(self, entity_id: str, data: Json, base_revision: int | None = None) -> Json:
        """wbeditentity on an existing entity; with ``base_revision`` the wiki detects edits made since."""
        params: Json = {"action": "wbeditentity", "id": entity_id, "data": _json(data)}
        if base_revision:
            params["baserevid"] = str(base_revision)
        answer = self.call(params, write=True)
        return dict(answer["entity"])

    def bootstrap(self) -> BootstrapReport:
        """Create whatever LEADS properties and classes are missing (a second run creates nothing)."""
        found_map, entities = self.discover()
        ids = dict(found_map.ids)
        report = BootstrapReport()
        specs: list[tuple[str, str]] = [(p.key, "property") for p in PROPERTIES] + [(c.key, "item") for c in CLASSES]
        for key, new in specs:
            if key in ids:
                continue
            pm = PropertyMap(ids)
            data = (codec.property_json(PROPERTY_BY_KEY[key], pm) if new == "property"
                    else codec.class_json(CLASS_BY_KEY[key], pm))
            entity, is_new = self.create_or_adopt(data, new, key, ids.get(LEADS_KEY), adopt_unkeyed=new == "property")
            ids[key] = str(entity["id"])
            if is_new:
                report.created.append((key, ids[key]))
            else:
                entities[ids[key]] = entity
        propmap = PropertyMap(ids)
        created = {k for k, _ in report.created}
        for key, eid in ids.items():
            if key not in created or key == LEADS_KEY:
                entity = entities.get(eid, {})
                if key not in string_values(entity, ids[LEADS_KEY]):  # found by label only: tag it with its key
                    self.edit(eid, {"claims": codec.claims_json(propmap, [(LEADS_KEY, key, [])])})
            if key not in created:
                report.found.append((key, eid))
        report.propmap = propmap
        return report

    # --- push -------------------------------------------------------------------------------------------------

    def existing_ids(self, design_set: DesignSet, propmap: PropertyMap,
                     known: Mapping[str, str] | None = None) -> dict[str, str]:
        """LEADS key → Q id of the items already there, each confirmed by its LEADS key statement.

        Ids already known (the entities' ``wikibase_id``, or ``known`` from the local store) are checked first in
        one batch read, which is consistent at once; a stale id (another item's) is dropped. The rest are found
        through the key index, then by exact English label.
        """
        hints = {e.key: [i for i in (e.wikibase_id, (known or {}).get(e.key)) if i and _ENTITY_ID.match(i)]
                 for e in design_set.entities}
        out = self.confirm({k: v for k, v in hints.items() if v}, propmap)
        rest = [e for e in design_set.entities if e.key not in out]
        labels = {e.key: e.labels["en"] for e in rest if e.labels.get("en")}
        return out | self.find_by_key([e.key for e in rest], propmap, labels)

    def push(self, design_set: DesignSet, propmap: PropertyMap, known: Mapping[str, str] | None = None,
             base: Mapping[str, Json] | None = None) -> PushReport:
        """Counted for the operator (leads_wikibase_sync by outcome, entities written): see :meth:`_push`."""

        try:
            report = self._push(design_set, propmap, known, base)
        except PushConflict:
            metrics.WIKIBASE_SYNC.labels("conflict").inc()
            raise
        except Exception:
            metrics.WIKIBASE_SYNC.labels("error").inc()
            raise
        metrics.WIKIBASE_SYNC.labels("ok").inc()
        metrics.WIKIBASE_ENTITIES.inc(len(report.created) + len(report.updated) + len(report.merged))
        return report

    def _push(self, design_set: DesignSet, propmap: PropertyMap, known: Mapping[str, str] | None = None,
              base: Mapping[str, Json] | None = None) -> PushReport:
        """Validate, then create or update every entity, idempotent by LEADS key.

        ``base`` holds, per key, the :func:`sync.record` of the last pull or push. Before anything is written,
        every existing item is compared with it: a field changed both on the wiki and here stops the push
        (:class:`PushConflict`, with the differences). Pass 1 then creates a stub (labels, key, class) for each
        new entity so every reference has a Q id; pass 2 sends each item only what changed, with ``baserevid``.
        """
        check(design_set)
        managed = {propmap.pid(p.key) for p in PROPERTIES}
        try:
            ids = self.existing_ids(design_set, propmap, known)
            current = self.get_entities(ids[e.key] for e in design_set.entities if e.key in ids)
        except UpstreamError as exc:
            raise UpstreamError("%(cause)s; nothing was written to the wiki and nothing was changed locally",
                                code=exc.code, params={"cause": exc}) from None
        bases = {k: r.get("fields") for k, r in (base or {}).items() if isinstance(r, dict)
                 and r.get("id") == ids.get(k) and isinstance(r.get("fields"), dict)}
        stand_in = ids | {e.key: f"Q{_PLACEHOLDER + i}" for i, e in enumerate(design_set.entities) if e.key not in ids}
        differences: list[sync.Difference] = []
        for e in design_set.entities:
            if e.key in ids:
                differences += sync.plan(current[ids[e.key]], codec.encode_entity(e, propmap, stand_in), managed,
                                         bases.get(e.key), e.key)[1]
        if differences:
            raise self._conflict(differences, propmap, ids)
        report = PushReport()
        total = len(design_set.entities)
        try:
            for n, e in enumerate(e for e in design_set.entities if e.key not in ids):
                self.notify(f"[{n + 1}/{total - len(current)}] creating {e.key}")
                stub = codec.encode_entity(e, propmap, ids, stub=True)
                entity, is_new = self.create_or_adopt(stub, "item", e.key, propmap.pid(LEADS_KEY))
                ids[e.key] = str(entity["id"])
                current[ids[e.key]] = entity
                if is_new:
                    report.created.append((e.key, ids[e.key]))
            created = {k for k, _ in report.created}
            for n, e in enumerate(design_set.entities):
                eid = ids[e.key]
                data, _ = sync.plan(current[eid], codec.encode_entity(e, propmap, ids), managed,
                                    bases.get(e.key) if e.key not in created else None, e.key)
                if data is None:
                    if e.key not in created:
                        report.unchanged.append((e.key, eid))
                    report.records[e.key] = sync.record(current[eid], managed)
                    continue
                self.notify(f"[{n + 1}/{total}] {'completing' if e.key in created else 'updating'} {e.key} ({eid})")
                entity = self.edit(eid, data, base_revision=int(current[eid].get("lastrevid", 0) or 0))
                report.records[e.key] = sync.record(entity, managed)
                if e.key not in created:
                    merged = bases.get(e.key) is not None and sync.fields(current[eid], managed) != bases[e.key]
                    (report.merged if merged else report.updated).append((e.key, eid))
        except (LeadsError, KeyboardInterrupt) as exc:
            raise self._interrupted(exc, report, design_set) from None
        return report

    def _conflict(self, differences: list[sync.Difference], propmap: PropertyMap,
                  ids: Mapping[str, str]) -> PushConflict:
        label_of = {pid: PROPERTY_BY_KEY[key].labels["en"] for key, pid in propmap.ids.items()
                    if key in PROPERTY_BY_KEY}
        label_of |= {eid: key for key, eid in ids.items()}
        problems = [Problem(f"{d.key} ({d.entity_id})", CHANGED_ON_THE_WIKI, sync.describe(d, label_of))
                    for d in differences]
        return PushConflict("%(count)s field(s) were changed on the wiki since the last pull and are changed "
                            "differently in this push; nothing was written. Pull to take the wiki's version (`leads "
                            "wikibase pull`), make your change again, then push", problems, differences,
                            params={"count": len(differences)})

    def _interrupted(self, exc: LeadsError | KeyboardInterrupt, report: PushReport,
                     design_set: DesignSet) -> PushInterrupted:
        done = {k for k, _ in report.created + report.updated + report.merged + report.unchanged}
        pending = [e.key for e in design_set.entities if e.key not in report.records]
        return PushInterrupted(
            "the push stopped: %(cause)s. On the wiki now: %(created_count)s item(s) created (%(created)s), "
            "%(complete)s of %(total)s complete; %(pending_count)s not yet written or written only in part "
            "(%(pending)s). Nothing was changed locally. Run the same push again: it finds the items already made "
            "by their LEADS key and completes them without duplicates", report,
            params={"cause": exc if isinstance(exc, LeadsError) else INTERRUPTED,
                    "created_count": len(report.created),
                    "created": ", ".join(f"{k} ({q})" for k, q in report.created) or NONE,
                    "complete": len([k for k in report.records if k in done]), "total": len(design_set.entities),
                    "pending_count": len(pending),
                    "pending": ", ".join(pending[:10]) + ("…" if len(pending) > 10 else "")})

    # --- pull -------------------------------------------------------------------------------------------------

    def resolve_item(self, ref: str, propmap: PropertyMap, hint: str | None = None) -> str:
        """The Q id of the practice with LEADS key ``ref`` (or ``ref`` itself if it is a Q id), key checked.

        ``hint`` (an id remembered locally) is only used if that item still carries the key; otherwise the
        practices are found through the class item's "what links here", then the key index.
        """
        if _ENTITY_ID.match(ref):
            return ref
        if hint and _ENTITY_ID.match(hint) and self.confirm({ref: [hint]}, propmap):
            return hint
        if hint:
            self.notify(f"{hint} no longer carries the LEADS key '{ref}' (it was remembered from an earlier pull); "
                        "looking the key up on the wiki")
        klass = propmap.qid("class-practice")
        page = self.get_entities([klass], allow_missing=True).get(klass, {})
        practices = sorted(self.links_here([int(page["pageid"])])) if "pageid" in page else []
        found = self.confirm({ref: [q for q in practices if q.startswith("Q")]}, propmap)
        found = found or self.find_by_key([ref], propmap)
        if not found:
            raise NotFound("no item with the LEADS key '%(key)s' was found on %(api_url)s; check the key (`leads "
                           "data list`) or give the practice's Q id", code="wikibase_key_not_found",
                           params={"key": ref, "api_url": self.api_url})
        return found[ref]

    def pull(self, ref: str, propmap: PropertyMap, hint: str | None = None) -> PullResult:
        """A practice and everything connected to it, read breadth-first with 50 ids per request.

        Forward links are every LEADS item-valued statement; backward links (parts and courses point *up*
        with "part of" / "leads to credential") come from prop=linkshere on practices, activities and designs.
        """
        try:
            return self._pull(ref, propmap, hint)
        except UpstreamError as exc:
            raise UpstreamError("%(cause)s; nothing was changed locally", code=exc.code,
                                params={"cause": exc}) from None

    def _pull(self, ref: str, propmap: PropertyMap, hint: str | None) -> PullResult:
        root = self.resolve_item(ref, propmap, hint)
        class_of = {propmap.qid(c.key): c.key for c in CLASSES}
        item_pids = {propmap.pid(p.key) for p in PROPERTIES if p.datatype == "wikibase-item" and p.key != "instance-of"}
        fetched: dict[str, Json] = {}
        seen: set[str] = set(class_of)
        frontier: list[str] = [root]
        levels: list[int] = []
        while frontier:
            levels.append(len(frontier))
            seen.update(frontier)
            batch = self.get_entities(frontier, allow_missing=True)
            missing = [eid for eid in frontier if eid not in batch]
            if missing and missing[0] == root:
                raise NotFound("there is no entity %(id)s on %(api_url)s; check the practice's Q id",
                               code="wikibase_missing_entity", params={"id": root, "api_url": self.api_url})
            if missing:
                raise NotFound("%(ids)s is referenced from the practice's data but does not exist on %(api_url)s; fix "
                               "the statement pointing to it", code="wikibase_missing_entity",
                               params={"ids": ", ".join(missing), "api_url": self.api_url})
            reverse, following = [], set()
            for eid, entity in batch.items():
                classes = [class_of[v] for v in _item_values(entity, {propmap.pid("instance-of")}) if v in class_of]
                if eid == root and classes[:1] != ["class-practice"]:
                    raise NotFound("%(id)s on %(api_url)s is not a LEADS practice (no 'LEADS instance of' "
                                   "LEADS practice statement)", code="wikibase_not_a_practice",
                                   params={"id": root, "api_url": self.api_url})
                key_pid = propmap.pid(LEADS_KEY)
                if eid == root and not _ENTITY_ID.match(ref) and ref not in string_values(entity, key_pid):
                    raise NotFound("%(id)s on %(api_url)s does not carry the LEADS key '%(key)s'",
                                   code="wikibase_key_mismatch",
                                   params={"id": root, "api_url": self.api_url, "key": ref})
                if not classes:
                    continue  # reached backwards but not LEADS data: leave it out
                fetched[eid] = entity
                following.update(_item_values(entity, item_pids))
                if classes[0] in _REVERSE_KINDS and "pageid" in entity:
                    reverse.append(int(entity["pageid"]))
            following.update(self.links_here(reverse) if reverse else set())
            frontier = sorted(following - seen)
        design_set = codec.decode_entities(fetched.values(), propmap)
        managed = {propmap.pid(p.key) for p in PROPERTIES}
        records = {e.key: sync.record(fetched[e.wikibase_id], managed) for e in design_set.entities
                   if e.wikibase_id in fetched}
        return PullResult(design_set, list(fetched.values()), levels, records)


def _json(data: Json) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _item_values(entity: Mapping[str, Any], pids: set[str]) -> list[str]:
    out = []
    for pid, group in (entity.get("claims") or {}).items():
        if pid not in pids:
            continue
        for st in group:
            value = (st.get("mainsnak", {}).get("datavalue") or {}).get("value")
            if isinstance(value, dict) and value.get("id"):
                out.append(str(value["id"]))
    return out
