"""The Wikibase client on wikibaseintegrator: bootstrap the model, push design sets, pull a practice's graph.

Every request goes through ``wbi_helpers.mediawiki_api_call_helper`` (wikibaseintegrator's retry loop for
maxlag, rate limits and HTTP 5xx, configured from settings); HTTP 429, which wikibaseintegrator does not
retry, is retried here with exponential back-off honouring ``Retry-After``. Failures become ``UpstreamError``
or ``NotFound`` with the server and what to do; nothing is written locally by this module.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import requests
from oauthlib.oauth2.rfc6749.errors import OAuth2Error
from wikibaseintegrator import WikibaseIntegrator, wbi_helpers, wbi_login
from wikibaseintegrator.wbi_config import config as wbi_config
from wikibaseintegrator.wbi_exceptions import MaxRetriesReachedException, MWApiError, NonExistentEntityError

from bridge.dataspace.model import DesignSet
from bridge.dataspace.service import check
from bridge.errors import LeadsError, NotFound, UpstreamError
from bridge.settings import Settings
from bridge.wikibase import codec
from bridge.wikibase.propmap import PropertyMap, string_values
from bridge.wikibase.schema import CLASS_BY_KEY, CLASSES, LEADS_KEY, PROPERTIES, PROPERTY_BY_KEY

Json = dict[str, Any]
BATCH = 50  # wbgetentities and prop=linkshere take at most 50 ids per request
_ENTITY_ID = re.compile(r"^[PQ][1-9][0-9]*$")
#: Kinds whose parts and courses point *at* them (part of / leads to credential), found through linkshere.
_REVERSE_KINDS = {"class-practice", "class-activity", "class-credential-design"}


class WikibaseApiError(UpstreamError):
    """The API answered with an error envelope; ``conflicts`` names entities a label clash points at."""

    def __init__(self, message: str, api_code: str, conflicts: list[str]) -> None:
        super().__init__(message, code="wikibase_api_error")
        self.api_code = api_code
        self.conflicts = conflicts


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


@dataclass
class PullResult:
    design_set: DesignSet
    entities: list[Json]
    levels: list[int]


class WikibaseClient:
    """One Wikibase; log-in happens on the first write (reads are anonymous)."""

    def __init__(self, api_url: str, *, user_agent: str, user: str | None = None, password: str | None = None,
                 oauth_client_id: str | None = None, oauth_client_secret: str | None = None,
                 rest_url: str | None = None, max_retries: int = 5, backoff_seconds: float = 1.0,
                 timeout: float = 30.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self.api_url = api_url
        self.rest_url = rest_url or api_url.removesuffix("api.php") + "rest.php"
        self.user_agent = user_agent
        self.user, self.password = user, password
        self.oauth = (oauth_client_id, oauth_client_secret) if oauth_client_id and oauth_client_secret else None
        self.max_retries = max(1, max_retries)
        self.backoff = backoff_seconds
        self.timeout = timeout
        self.sleep = sleep
        self._wbi: WikibaseIntegrator | None = None
        wbi_config["MEDIAWIKI_API_URL"] = api_url
        wbi_config["USER_AGENT"] = user_agent
        wbi_config["BACKOFF_MAX_TRIES"] = self.max_retries
        wbi_config["BACKOFF_MAX_VALUE"] = max(backoff_seconds * 8, 0.01)

    @classmethod
    def from_settings(cls, settings: Settings) -> WikibaseClient:
        if not settings.wikibase_api_url:
            raise LeadsError("no Wikibase configured: set LEADS_WIKIBASE_API_URL (e.g. "
                             "https://leads.wikibase.cloud/w/api.php)", code="wikibase_not_configured")
        password = settings.wikibase_password.get_secret_value() if settings.wikibase_password else None
        secret = settings.wikibase_oauth_client_secret
        return cls(settings.wikibase_api_url, user_agent=settings.user_agent, user=settings.wikibase_user,
                   password=password, oauth_client_id=settings.wikibase_oauth_client_id,
                   oauth_client_secret=secret.get_secret_value() if secret else None,
                   rest_url=settings.wikibase_rest_url, max_retries=settings.wikibase_max_retries,
                   backoff_seconds=settings.wikibase_backoff_seconds)

    # --- transport --------------------------------------------------------------------------------------------

    @property
    def wbi(self) -> WikibaseIntegrator:
        """Logged in with the OAuth 2 owner-only consumer, else the bot password (``User@BotName``), from settings."""
        if self._wbi is None:
            if not self.oauth and (not self.user or not self.password):
                raise LeadsError("writing to the Wikibase needs credentials: set LEADS_WIKIBASE_OAUTH_CLIENT_ID and "
                                 "LEADS_WIKIBASE_OAUTH_CLIENT_SECRET (an owner-only OAuth 2 consumer), or "
                                 "LEADS_WIKIBASE_USER (User@BotName) and LEADS_WIKIBASE_PASSWORD (a bot password)",
                                 code="wikibase_no_credentials", status=401)
            try:
                login: wbi_login._Login
                if self.oauth:
                    login = wbi_login.OAuth2(consumer_token=self.oauth[0], consumer_secret=self.oauth[1],
                                             mediawiki_api_url=self.api_url, mediawiki_rest_url=self.rest_url,
                                             user_agent=self.user_agent)
                else:
                    login = wbi_login.Login(user=self.user, password=self.password, mediawiki_api_url=self.api_url,
                                            user_agent=self.user_agent, timeout=self.timeout)
            except wbi_login.LoginError as exc:
                who = f"OAuth consumer {self.oauth[0]}" if self.oauth else str(self.user)
                raise UpstreamError(f"the Wikibase at {self.api_url} refused the log-in of {who}: {exc}; check "
                                    "LEADS_WIKIBASE_OAUTH_CLIENT_ID/_SECRET or LEADS_WIKIBASE_USER/_PASSWORD",
                                    code="wikibase_login_failed") from None
            except requests.RequestException as exc:
                raise self._unreachable(exc) from None
            except OAuth2Error as exc:
                raise UpstreamError(f"the Wikibase at {self.rest_url} refused the OAuth 2 token request: "
                                    f"{exc.description or exc.error}", code="wikibase_login_failed") from None
            except (KeyError, ValueError) as exc:
                raise UpstreamError(f"{self.api_url} did not answer the log-in like a MediaWiki API ({exc!r})",
                                    code="wikibase_bad_answer") from None
            self._wbi = WikibaseIntegrator(login=login, is_bot=False)
        return self._wbi

    def call(self, data: Json, *, write: bool = False) -> Json:
        """One API request through wikibaseintegrator (its retries), plus retries of HTTP 429 here."""
        login = self.wbi.login if write else (self._wbi.login if self._wbi else None)
        for attempt in range(self.max_retries):
            try:
                answer: Json = wbi_helpers.mediawiki_api_call_helper(
                    data=dict(data, format="json"), login=login, mediawiki_api_url=self.api_url,
                    user_agent=self.user_agent, allow_anonymous=not write, max_retries=self.max_retries,
                    retry_after=self.backoff, timeout=self.timeout)
                return answer
            except requests.HTTPError as exc:
                response = exc.response
                if response is None or response.status_code != 429:
                    status = response.status_code if response is not None else "?"
                    raise UpstreamError(f"the Wikibase at {self.api_url} answered HTTP {status} to "
                                        f"{data.get('action')}", code="wikibase_http_error") from None
                self.sleep(self._retry_after(response, attempt))
            except MaxRetriesReachedException:
                raise self._unreachable(None) from None
            except NonExistentEntityError as exc:
                raise NotFound(f"the Wikibase at {self.api_url} has no such entity: {exc}",
                               code="wikibase_no_such_entity") from None
            except MWApiError as exc:
                raise WikibaseApiError(f"the Wikibase at {self.api_url} refused {data.get('action')}: "
                                       f"{exc.code}: {exc.info}", exc.code, _conflicts(exc)) from None
            except requests.RequestException as exc:
                raise self._unreachable(exc) from None
            except ValueError:
                raise UpstreamError(f"{self.api_url} did not answer with JSON; is it a MediaWiki api.php URL?",
                                    code="wikibase_bad_answer") from None
        raise UpstreamError(f"the Wikibase at {self.api_url} kept answering 429 Too Many Requests "
                            f"({self.max_retries} attempts); try again later", code="wikibase_rate_limited")

    def _retry_after(self, response: requests.Response, attempt: int) -> float:
        delay: float = self.backoff * 2 ** attempt
        try:
            return max(delay, float(str(response.headers.get("Retry-After", "0"))))
        except ValueError:
            return delay

    def _unreachable(self, exc: Exception | None) -> UpstreamError:
        parts = urlsplit(self.api_url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            with socket.create_connection((parts.hostname or "", port), timeout=3):
                why = "it kept answering maxlag, rate-limit or HTTP 5xx errors"
        except OSError as err:
            why = f"cannot connect to {parts.hostname}:{port} ({err.strerror or err})"
        if exc is not None and not isinstance(exc, requests.ConnectionError):
            why = f"{exc.__class__.__name__}: {exc}"
        return UpstreamError(f"the Wikibase at {self.api_url} is unavailable after {self.max_retries} attempts: "
                             f"{why}. Check LEADS_WIKIBASE_API_URL or try again later; nothing was changed "
                             "locally", code="wikibase_unavailable")

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
            raise NotFound(f"the Wikibase at {self.api_url} has no entity {', '.join(missing)}; "
                           "it may have been deleted or the id is wrong", code="wikibase_missing_entity")
        return {eid: e for eid, e in out.items() if "missing" not in e}

    def search(self, label: str, entity_type: str = "item", language: str = "en") -> list[str]:
        """Ids whose label in ``language`` is exactly ``label`` (wbsearchentities matches prefixes)."""
        answer = self.call({"action": "wbsearchentities", "search": label, "language": language,
                            "type": entity_type, "limit": "50", "strictlanguage": "1"})
        return [str(h["id"]) for h in answer.get("search", []) if h.get("label") == label]

    def find_by_statement(self, pid: str, value: str) -> list[str]:
        """Items with a statement ``pid = value`` (CirrusSearch ``haswbstatement``; empty where unsupported)."""
        answer = self.call({"action": "query", "list": "search", "srsearch": f"haswbstatement:{pid}={value}",
                            "srlimit": "50", "srprop": "", "srnamespace": "*"})
        titles = [str(h.get("title", "")) for h in answer.get("query", {}).get("search", [])]
        return [t.rsplit(":", 1)[-1] for t in titles if _ENTITY_ID.match(t.rsplit(":", 1)[-1])]

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
            raise WikibaseApiError(f"{exc.message}. {', '.join(exc.conflicts)} is not the LEADS '{key}': "
                                   "change one of the two labels", exc.api_code, exc.conflicts) from None

    def edit(self, entity_id: str, data: Json) -> Json:
        answer = self.call({"action": "wbeditentity", "id": entity_id, "data": _json(data)}, write=True)
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
        one batch read, which is consistent at once; only the rest are searched for (key statement, then exact
        English label), since search indexes can lag behind recent edits.
        """
        key_pid = propmap.pid(LEADS_KEY)

        def confirm(candidates: dict[str, list[str]]) -> dict[str, str]:
            fetched = self.get_entities([c for cs in candidates.values() for c in cs], allow_missing=True)
            return {key: eid for key, cands in candidates.items() for eid in reversed(cands)
                    if key in string_values(fetched.get(eid, {}), key_pid)}

        hints = {e.key: [i for i in (e.wikibase_id, (known or {}).get(e.key)) if i and _ENTITY_ID.match(i)]
                 for e in design_set.entities}
        out = confirm({k: v for k, v in hints.items() if v})
        searched: dict[str, list[str]] = {}
        for e in design_set.entities:
            if e.key in out:
                continue
            found = self.find_by_statement(key_pid, e.key)
            if not found and e.labels.get("en"):
                found = self.search(e.labels["en"], "item")
            searched[e.key] = found
        return out | confirm(searched)

    def push(self, design_set: DesignSet, propmap: PropertyMap,
             known: Mapping[str, str] | None = None) -> PushReport:
        """Validate, then create or update every entity, idempotent by LEADS key.

        Pass 1 creates a stub (labels, key, class) for each new entity so every reference has a Q id;
        pass 2 writes the full statements, leaving entities that already match untouched.
        """
        check(design_set)
        report = PushReport()
        ids = self.existing_ids(design_set, propmap, known)
        for e in design_set.entities:
            if e.key not in ids:
                stub = codec.encode_entity(e, propmap, ids, stub=True)
                entity, is_new = self.create_or_adopt(stub, "item", e.key, propmap.pid(LEADS_KEY))
                ids[e.key] = str(entity["id"])
                if is_new:
                    report.created.append((e.key, ids[e.key]))
        current = self.get_entities(ids[e.key] for e in design_set.entities)
        created = {k for k, _ in report.created}
        managed = {propmap.pid(p.key) for p in PROPERTIES}
        for e in design_set.entities:
            eid = ids[e.key]
            desired = codec.encode_entity(e, propmap, ids)
            if _signature(current[eid], managed, desired) == _signature(desired, managed, desired):
                if e.key not in created:
                    report.unchanged.append((e.key, eid))
                continue
            self.edit(eid, _update(current[eid], desired, managed))
            if e.key not in created:
                report.updated.append((e.key, eid))
        return report

    # --- pull -------------------------------------------------------------------------------------------------

    def resolve_item(self, ref: str, propmap: PropertyMap) -> str:
        if _ENTITY_ID.match(ref):
            return ref
        found = self.find_by_statement(propmap.pid(LEADS_KEY), ref)
        if not found:
            raise NotFound(f"no item with the LEADS key '{ref}' was found on {self.api_url} (it needs "
                           "CirrusSearch's haswbstatement); give the practice's Q id instead",
                           code="wikibase_key_not_found")
        return found[0]

    def pull(self, ref: str, propmap: PropertyMap) -> PullResult:
        """A practice and everything connected to it, read breadth-first with 50 ids per request.

        Forward links are every LEADS item-valued statement; backward links (parts and courses point *up*
        with "part of" / "leads to credential") come from prop=linkshere on practices, activities and designs.
        """
        root = self.resolve_item(ref, propmap)
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
                raise NotFound(f"there is no entity {root} on {self.api_url}; check the practice's Q id",
                               code="wikibase_missing_entity")
            if missing:
                raise NotFound(f"{', '.join(missing)} is referenced from the practice's data but does not exist "
                               f"on {self.api_url}; fix the statement pointing to it", code="wikibase_missing_entity")
            reverse, following = [], set()
            for eid, entity in batch.items():
                classes = [class_of[v] for v in _item_values(entity, {propmap.pid("instance-of")}) if v in class_of]
                if eid == root and classes[:1] != ["class-practice"]:
                    raise NotFound(f"{root} on {self.api_url} is not a LEADS practice (no 'LEADS instance of' "
                                   "LEADS practice statement)", code="wikibase_not_a_practice")
                if not classes:
                    continue  # reached backwards but not LEADS data: leave it out
                fetched[eid] = entity
                following.update(_item_values(entity, item_pids))
                if classes[0] in _REVERSE_KINDS and "pageid" in entity:
                    reverse.append(int(entity["pageid"]))
            following.update(self.links_here(reverse) if reverse else set())
            frontier = sorted(following - seen)
        design_set = codec.decode_entities(fetched.values(), propmap)
        return PullResult(design_set, list(fetched.values()), levels)


def _conflicts(exc: MWApiError) -> list[str]:
    """Entity ids named by ``…-conflict`` messages (their third parameter is a link like [[Item:Q5|Q5]])."""
    found: list[str] = []
    for message in exc.messages:
        if str(message.get("name", "")).endswith("-conflict"):
            for param in message.get("parameters", [])[2:]:
                found += re.findall(r"\b[PQ][1-9][0-9]*\b", str(param))
    return list(dict.fromkeys(found))


def _json(data: Json) -> str:
    import json

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


def _norm_value(dv: Mapping[str, Any] | None) -> Any:
    value = (dv or {}).get("value")
    if isinstance(value, dict):
        if "id" in value:
            return ("item", value["id"])
        if "amount" in value:
            return ("quantity", codec.amount(Decimal(str(value["amount"]))), value.get("unit", "1"))
        return tuple(sorted(value.items()))
    return value


def _signature(entity: Mapping[str, Any], managed: set[str], desired: Mapping[str, Any]) -> tuple[Any, ...]:
    """What a push controls, without ids/hashes: the LEADS statements (order kept), and the labels and
    descriptions in the languages the design set has (translations added on the Wikibase are not LEADS's)."""
    labels, descs = (tuple(sorted((k, v["value"]) for k, v in (entity.get(part) or {}).items()
                                  if k in (desired.get(part) or {}))) for part in ("labels", "descriptions"))
    claims = []
    for pid, group in sorted((entity.get("claims") or {}).items()):
        if pid not in managed:
            continue
        for st in group:
            quals = tuple(sorted((q, _norm_value(s.get("datavalue"))) for q, snaks in
                                 (st.get("qualifiers") or {}).items() for s in snaks))
            claims.append((pid, _norm_value(st.get("mainsnak", {}).get("datavalue")), quals))
    return labels, descs, tuple(claims)


def _update(current: Mapping[str, Any], desired: Json, managed: set[str]) -> Json:
    """wbeditentity data replacing the LEADS statements and setting the design set's labels and descriptions;
    other statements and other languages stay as the Wikibase community left them."""
    data: Json = {"labels": desired.get("labels") or {}, "descriptions": desired.get("descriptions") or {}}
    removals = [{"id": st["id"], "remove": ""} for pid, group in (current.get("claims") or {}).items()
                if pid in managed for st in group if "id" in st]
    data["claims"] = removals + [st for group in desired["claims"].values() for st in group]
    return data
