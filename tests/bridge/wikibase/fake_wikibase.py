"""A local fake of the MediaWiki Action API (``api.php``) of a Wikibase, on 127.0.0.1 in a thread.

Strict by default, like MediaWiki 1.43 with Wikibase REL1_43 and MediaWiki's default settings: 90 edits a minute
per user (``failed-save`` + ``actionthrottledtext``; ``no-automatic-entity-id`` for creates), terms and string
values trimmed and NFC-normalised, amounts stored signed, Wikibase's limits and datatypes enforced, label clashes
refused on save, no CirrusSearch (``haswbstatement`` finds nothing), a no-op edit answered with ``nochange``, and
``baserevid`` handled like Wikibase's ``EditEntity`` (the edit applies to the revision given, its diff is patched
onto the latest; ``editconflict`` only where that patch does not apply, and a statement changed on both sides is
simply replaced, as the real one does). The rules
and error shapes live in ``fake_rules`` and are checked against ``responses/``. It counts requests per action, and
can be told to fail the next requests (maxlag, throttled, HTTP 429/503). wikibaseintegrator talks to it unmodified.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import secrets
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from bridge.dataspace import normalize
from tests.bridge.wikibase import fake_oauth2 as oauth2
from tests.bridge.wikibase import fake_rules as rules
from tests.bridge.wikibase.fake_rules import ApiError, FakeClock, RateLimiter, RealClock

Json = dict[str, Any]
ID = re.compile(r"^([PQ])([1-9][0-9]*)$")
SERVED_BY = "fake-mw1"
__all__ = ["ApiError", "FakeClock", "FakeWikibase", "running"]


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


@dataclass
class Session:
    login_token: str | None = None
    user: str | None = None
    csrf: str | None = None


@dataclass
class Fault:
    kind: str  # "maxlag" | "throttled" | "429" | "503"
    action: str | None  # None = any action
    retry_after: str = "0"


@dataclass
class FakeWikibase:
    users: dict[str, str] = field(default_factory=lambda: {"Leads@bot": "bot-secret"})
    entities: dict[str, Json] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    log: list[Json] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    user_agents: list[str] = field(default_factory=list)
    next_id: dict[str, int] = field(default_factory=lambda: {"P": 1, "Q": 1})
    sessions: dict[str, Session] = field(default_factory=dict)
    oauth_clients: dict[str, tuple[str, str]] = field(
        default_factory=lambda: {"leads-consumer": ("consumer-secret", "Leads")}
    )  # client id -> (secret, owner): MediaWiki's owner-only OAuth 2 consumers
    bearer_tokens: dict[str, str] = field(default_factory=dict)  # access token -> session id
    revision: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock)
    search_lag: bool = False  # search indexes have not caught up: searches find nothing
    url: str = ""
    clock: Clock = field(default_factory=RealClock)
    edits_per_minute: int = 90  # $wgRateLimits['edit']['user'] (and 'wikibase-idgenerator', which inherits it)
    noratelimit: set[str] = field(default_factory=set)  # users with the noratelimit right (not throttled)
    cirrus: bool = False  # CirrusSearch installed: list=search understands haswbstatement
    history: dict[str, dict[int, tuple[Json, str]]] = field(default_factory=dict)  # id -> rev -> (entity, user)
    outage_after: int | None = None  # after this many saved edits the wiki goes down: every request answers 503
    next_page: int = 1
    web: oauth2.AuthCodeServer = field(default_factory=oauth2.AuthCodeServer)  # people signing in (auth code)
    summaries: dict[tuple[str, int], str] = field(default_factory=dict)  # (id, rev) -> edit summary

    def __post_init__(self) -> None:
        self.limits = {"edit": RateLimiter(self.edits_per_minute, 60),
                       "wikibase-idgenerator": RateLimiter(self.edits_per_minute, 60)}

    # --- set-up helpers for tests ---------------------------------------------------------------------------

    def load(self, dump: Json) -> None:
        """Put wbgetentities-shaped entities straight into the store (as if imported)."""
        with self.lock:
            for eid, entity in dump["entities"].items():
                self.entities[eid] = copy.deepcopy(entity)
                m = ID.match(eid)
                if m:
                    self.next_id[m[1]] = max(self.next_id[m[1]], int(m[2]) + 1)
                self.revision = max(self.revision, int(entity.get("lastrevid", 0)))
                self.next_page = max(self.next_page, int(entity.get("pageid", 0)) + 1)
                self.history.setdefault(eid, {})[int(entity.get("lastrevid", 0))] = (copy.deepcopy(entity), "import")

    def fail_next(self, kind: str, times: int = 1, action: str | None = None, retry_after: str = "0") -> None:
        self.faults.extend(Fault(kind, action, retry_after) for _ in range(times))

    def reset_counts(self) -> None:
        self.counts.clear()
        self.log.clear()

    def requested_ids(self) -> list[list[str]]:
        return [entry["ids"].split("|") for entry in self.log if entry.get("action") == "wbgetentities"]

    def wiki_edit(self, eid: str, change: Any, user: str = "Someone") -> None:
        """An edit made by a person in the wiki's UI: ``change(entity)`` mutates a copy, a new revision is saved."""
        with self.lock:
            entity = copy.deepcopy(self.entities[eid])
            change(entity)
            self._save(eid, entity, user)

    # --- the API --------------------------------------------------------------------------------------------

    def handle(self, params: dict[str, str], cookie: str | None) -> tuple[int, Json, dict[str, str], str | None]:
        """(HTTP status, JSON body, extra headers, new session cookie) for one request."""
        with self.lock:
            action = params.get("action", "")
            self.counts[action] += 1
            self.counts["total"] += 1
            self.log.append(dict(params))
            session_id = cookie if cookie in self.sessions else None
            new_cookie = None
            if session_id is None:
                session_id = secrets.token_hex(8)
                self.sessions[session_id] = Session()
                new_cookie = session_id
            session = self.sessions[session_id]
            if self.outage_after is not None and self.counts["saved"] >= self.outage_after:
                return 503, {"error": {"code": "http-503", "info": "Service Unavailable"}}, {}, new_cookie
            try:
                fault = next((f for f in self.faults if f.action in (None, action)), None)
                if fault is not None:
                    self.faults.remove(fault)
                    if fault.kind in ("429", "503"):
                        body = {"error": {"code": "http-" + fault.kind, "info": "Service temporarily unavailable"}}
                        return int(fault.kind), body, {"Retry-After": fault.retry_after}, new_cookie
                    if fault.kind == "maxlag":
                        raise rules.maxlag(1, int(params.get("maxlag", "0") or 0))
                    raise rules.throttled_save()
                body = self._dispatch(action, params, session)
                return 200, body, {}, new_cookie
            except ApiError as exc:
                return 200, exc.body(self.url, SERVED_BY), exc.headers, new_cookie

    def token(self, form: dict[str, str]) -> tuple[int, Json]:
        """POST rest.php/oauth2/access_token (Extension:OAuth), client-credentials grant of an owner-only consumer."""
        with self.lock:
            self.counts["oauth2_token"] += 1
            client = self.oauth_clients.get(form.get("client_id", ""))
            if form.get("grant_type") != "client_credentials":
                return 400, {"error": "unsupported_grant_type", "message": "The authorization grant type is not "
                             "supported by the authorization server."}
            if client is None or client[0] != form.get("client_secret"):
                return 401, {"error": "invalid_client", "error_description": "Client authentication failed",
                             "message": "Client authentication failed"}
            token = secrets.token_hex(20)
            session_id = secrets.token_hex(8)
            self.sessions[session_id] = Session(user=client[1])
            self.bearer_tokens[token] = session_id
            return 200, {"token_type": "Bearer", "expires_in": 14400, "access_token": token}

    def web_session(self, cookie: str | None, user: str | None = None) -> tuple[str, Session]:
        """The browser session of a person on the wiki's pages (made if new; ``user`` logs it in)."""
        with self.lock:
            if cookie not in self.sessions:
                cookie = secrets.token_hex(8)
                self.sessions[cookie] = Session()
            if user is not None:
                self.sessions[cookie].user = user
            return str(cookie), self.sessions[cookie]

    def code_token(self, form: dict[str, str]) -> tuple[int, Json]:
        """grant_type=authorization_code: a bearer token acting as the person who approved."""
        with self.lock:
            self.counts["oauth2_code_token"] += 1
            status, body, user = oauth2.exchange(self.web, form)
            if user is not None:
                body["access_token"] = secrets.token_hex(20)
                session_id = secrets.token_hex(8)
                self.sessions[session_id] = Session(user=user)
                self.bearer_tokens[body["access_token"]] = session_id
            return status, body

    def edits_by(self, user: str) -> list[tuple[str, int, str]]:
        """(entity id, revision, summary) of every saved edit by ``user``."""
        return sorted((eid, rev, self.summaries.get((eid, rev), "")) for eid, revs in self.history.items()
                      for rev, (_, who) in revs.items() if who == user)

    def _dispatch(self, action: str, p: dict[str, str], session: Session) -> Json:
        if p.get("format", "json") != "json":
            raise ApiError("badvalue", "Unrecognized value for parameter \"format\".")
        if action == "query":
            return self._query(p, session)
        if action == "login":
            return self._login(p, session)
        if action == "wbgetentities":
            return self._get(p)
        if action == "wbeditentity":
            user = self._check_write(p, session)
            return self._edit(p, user)
        if action == "wbsearchentities":
            return self._search_entities(p)
        raise ApiError("badvalue", f"Unrecognized value for parameter \"action\": {action}.")

    def _query(self, p: dict[str, str], session: Session) -> Json:
        if p.get("meta") == "tokens":
            kind = p.get("type", "csrf")
            if kind == "login":
                session.login_token = secrets.token_hex(16) + "+\\"
                return {"batchcomplete": "", "query": {"tokens": {"logintoken": session.login_token}}}
            if kind == "csrf":
                if session.user and not session.csrf:
                    session.csrf = secrets.token_hex(16) + "+\\"
                return {"batchcomplete": "", "query": {"tokens": {"csrftoken": session.csrf or "+\\"}}}
            raise ApiError("badvalue", f"Unrecognized value for parameter \"type\": {kind}.")
        if p.get("meta") == "userinfo":
            return self._userinfo(p, session)
        if p.get("list") == "search":
            return self._search(p)
        if p.get("prop") == "linkshere":
            return self._linkshere(p)
        if p.get("prop") == "revisions" and p.get("revids"):
            return self._revisions(p)
        raise ApiError("badvalue", "Unsupported query in this fake.")

    def _revisions(self, p: dict[str, str]) -> Json:
        """prop=revisions&revids=…&rvprop=ids|content&rvslots=main&formatversion=2: an entity page's content at a
        revision is the entity's JSON (as stored: no page id, revision or timestamp)."""
        pages: list[Json] = []
        bad: Json = {}
        for raw in p["revids"].split("|"):
            rev = int(raw) if raw.isdigit() else -1
            found = next(((eid, revs[rev][0]) for eid, revs in self.history.items() if rev in revs), None)
            if found is None:
                bad[raw] = {"revid": rev, "missing": True}
                continue
            _, entity = found
            content = {k: entity[k] for k in ("type", "datatype", "id", "labels", "descriptions", "aliases", "claims",
                                                "sitelinks") if k in entity}
            pages.append({"pageid": entity["pageid"], "ns": entity["ns"], "title": entity["title"], "revisions": [
                {"revid": rev, "slots": {"main": {"contentmodel": f"wikibase-{entity['type']}",
                                                  "contentformat": "application/json",
                                                  "content": json.dumps(content, ensure_ascii=False)}}}]})
        query: Json = {"pages": pages}
        if bad:
            query["badrevids"] = bad
        return {"batchcomplete": True, "query": query}

    def _userinfo(self, p: dict[str, str], session: Session) -> Json:
        """meta=userinfo: ``ratelimits`` lists the limits that apply, empty for a user exempt from them."""
        props = p.get("uiprop", "").split("|")
        info: Json = {"id": 1, "name": session.user} if session.user else {"id": 0, "name": "127.0.0.1", "anon": ""}
        if "rights" in props:
            info["rights"] = ["read", "edit", "createpage", "writeapi"] + (
                ["noratelimit"] if session.user in self.noratelimit else [])
        if "ratelimits" in props:
            limited = session.user not in self.noratelimit
            who = "user" if session.user else "ip"
            info["ratelimits"] = {name: {who: {"hits": lim.hits, "seconds": int(lim.seconds)}}
                                  for name, lim in self.limits.items()} if limited else {}
        return {"batchcomplete": "", "query": {"userinfo": info}}

    def _login(self, p: dict[str, str], session: Session) -> Json:
        if not session.login_token or p.get("lgtoken") != session.login_token:
            return {"login": {"result": "WrongToken"}}
        name, password = p.get("lgname", ""), p.get("lgpassword", "")
        if self.users.get(name) != password:
            return {"login": {"result": "Failed",
                              "reason": "Incorrect username or password entered. Please try again."}}
        session.user = name.split("@")[0]
        return {"login": {"result": "Success", "lguserid": 1, "lgusername": session.user}}

    def _check_write(self, p: dict[str, str], session: Session) -> str:
        """ApiMain's checks: the token parameter is required, then it must match; then ``assert``."""
        if "token" not in p:
            raise rules.missing_token()
        if not session.csrf or p.get("token") != session.csrf:
            raise ApiError("badtoken", "Invalid CSRF token.")
        if p.get("assert") in ("user", "bot") and not session.user:
            raise ApiError("assertuserfailed", "You are no longer logged in, so the action could not be completed.")
        return session.user or "127.0.0.1"

    # --- entities -------------------------------------------------------------------------------------------

    def _get(self, p: dict[str, str]) -> Json:
        ids = [i for i in p.get("ids", "").split("|") if i]
        if not ids:
            raise ApiError("param-missing", "Either provide the item \"ids\" or pairs of \"sites\" and \"titles\".")
        if len(ids) > 50:
            raise ApiError("toomanyvalues", "Too many values supplied for parameter \"ids\". The limit is 50.",
                           limit=50, lowlimit=50, highlimit=500, parameter="ids")
        out: Json = {}
        for eid in ids:
            if not ID.match(eid):
                raise ApiError("no-such-entity", f"Could not find an entity with the ID \"{eid}\".", id=eid)
            out[eid] = copy.deepcopy(self.entities[eid]) if eid in self.entities else {"id": eid, "missing": ""}
        return {"entities": out, "success": 1}

    def _edit(self, p: dict[str, str], user: str) -> Json:
        try:
            data = json.loads(p.get("data", ""))
        except json.JSONDecodeError as exc:
            raise ApiError("invalid-json", f"Could not parse \"data\": {exc}") from None
        if "new" in p:
            kind = p["new"]
            if kind not in ("item", "property"):
                raise ApiError("badvalue", f"Unrecognized value for parameter \"new\": {kind}.")
            if kind == "property" and not data.get("datatype"):
                raise ApiError("param-illegal", "No datatype given")
            if self._throttled("wikibase-idgenerator", user):  # the id is assigned before anything else
                raise rules.throttled_create()
            letter = "P" if kind == "property" else "Q"
            eid = f"{letter}{self.next_id[letter]}"
            self.next_id[letter] += 1  # an id handed out is used up even if the save fails (as in SqlIdGenerator)
            entity: Json = {"pageid": 0, "ns": 122 if kind == "property" else 120,
                            "title": f"{'Property' if kind == 'property' else 'Item'}:{eid}", "lastrevid": 0,
                            "modified": "", "type": kind, "id": eid, "labels": {}, "descriptions": {},
                            "aliases": {}, "claims": {}}
            if kind == "property":
                entity["datatype"] = data["datatype"]
            else:
                entity["sitelinks"] = {}
            current = None
        else:
            eid = p.get("id", "")
            if eid not in self.entities:
                raise ApiError("no-such-entity", f"Could not find an entity with the ID \"{eid}\".", id=eid)
            current = self.entities[eid]
            base = int(p.get("baserevid") or 0)
            if base and base not in self.history.get(eid, {}):
                raise ApiError("nosuchrevid", f"There is no revision with ID {base}.")
            # EntitySavingHelper::loadEntity: the edit applies to the entity at baserevid
            start = self.history[eid][base][0] if base and base != current["lastrevid"] else current
            entity = copy.deepcopy(start)
            if "clear" in p:
                entity.update(labels={}, descriptions={}, aliases={}, claims={})
        self._apply_terms(entity, data)
        self._apply_claims(entity, data.get("claims") or {})
        rules.check_terms(entity)
        if current is not None and start is not current:
            entity = self._fix_edit_conflict(eid, base, start, entity, user)
            rules.check_terms(entity)
        if self._throttled("edit", user):  # pinged in attemptSave, before a null edit is noticed
            raise rules.throttled_save()
        if current is not None and _content(entity) == _content(current):
            return {"entity": {**copy.deepcopy(current), "nochange": ""}, "success": 1}
        self._check_label_conflicts(entity)
        if current is None:
            entity["pageid"] = self.next_page
            self.next_page += 1
        self._save(eid, entity, user)
        self.summaries[(eid, self.revision)] = p.get("summary", "")
        return {"entity": copy.deepcopy(entity), "success": 1}

    def _throttled(self, action: str, user: str) -> bool:
        refused = user not in self.noratelimit and self.limits[action].ping(user, self.clock.now())
        self.counts["throttled"] += int(refused)
        self.counts[f"throttled:{action}"] += int(refused)
        return refused

    def _save(self, eid: str, entity: Json, user: str) -> None:
        self.counts["saved"] += 1
        self.revision += 1
        entity["lastrevid"] = self.revision
        entity["modified"] = "2026-01-15T12:00:00Z"
        self.entities[eid] = entity
        self.history.setdefault(eid, {})[self.revision] = (copy.deepcopy(entity), user)

    def _fix_edit_conflict(self, eid: str, base: int, before: Json, edited: Json, user: str) -> Json:
        """``MediaWikiEditEntity::fixEditConflict``: the diff base → edited is patched onto the latest revision; an
        operation that does not apply there is a conflict (``editconflict``), unless only this user edited since
        the base and something of the patch still applies (a self-conflict)."""
        latest = self.entities[eid]
        patch = _diff(before, edited)
        if not patch:
            return copy.deepcopy(latest)
        patched = _patched(latest, patch)
        clean = _diff(latest, patched)
        if len(patch) != len(clean):
            later = {who for rev, (_, who) in self.history.get(eid, {}).items() if rev > base}
            if later - {user} or not clean:
                raise rules.edit_conflict()
        return patched

    def _apply_terms(self, entity: Json, data: Json) -> None:
        for part in ("labels", "descriptions"):
            for lang, value in (data.get(part) or {}).items():
                text = normalize.text(str(value.get("value", "")))
                if value.get("remove") is not None or not text:
                    entity[part].pop(lang, None)
                else:
                    entity[part][lang] = {"language": lang, "value": text}

    def _apply_claims(self, entity: Json, claims: Any) -> None:
        statements = [s for group in claims.values() for s in group] if isinstance(claims, dict) else list(claims)
        for st in statements:
            if "remove" in st:
                for pid, group in list(entity["claims"].items()):
                    entity["claims"][pid] = [s for s in group if s.get("id") != st.get("id")]
                    if not entity["claims"][pid]:
                        del entity["claims"][pid]
                continue
            st = copy.deepcopy(st)
            snaks = [st["mainsnak"], *[q for qs in (st.get("qualifiers") or {}).values() for q in qs]]
            for snak in snaks:
                pid = snak["property"]
                prop = self.entities.get(pid)
                if prop is None or prop.get("type") != "property":
                    raise rules.modification_failed("wikibase-validator-no-such-property", [pid],
                                                    f"Property {pid} not found.")
                rules.normalise_snak(snak)
                rules.check_snak(snak, prop["datatype"], self.entities.__contains__)
                snak["datatype"] = prop["datatype"]
                snak["hash"] = _snak_hash(snak)
            st.setdefault("type", "statement")
            st.setdefault("rank", "normal")
            if st.get("qualifiers"):
                st["qualifiers-order"] = list(st["qualifiers"])
            pid = st["mainsnak"]["property"]
            group = entity["claims"].setdefault(pid, [])
            existing = [i for i, s in enumerate(group) if st.get("id") and s.get("id") == st["id"]]
            if existing:
                group[existing[0]] = st
            else:
                st["id"] = st.get("id") or f"{entity['id']}${str(uuid.uuid4()).upper()}"
                group.append(st)

    def _check_label_conflicts(self, entity: Json) -> None:
        """Label (and description) uniqueness, checked when saving: a clash is ``failed-save``."""
        for other in self.entities.values():
            if other["id"] == entity["id"] or other.get("type") != entity["type"]:
                continue
            for lang, label in entity["labels"].items():
                same_label = other["labels"].get(lang, {}).get("value") == label["value"]
                if not same_label:
                    continue
                same_desc = (other["descriptions"].get(lang, {}).get("value")
                             == entity["descriptions"].get(lang, {}).get("value"))
                if entity["type"] == "property" or same_desc:
                    link = f"[[{other['title']}|{other['id']}]]"
                    if entity["type"] == "property":
                        raise rules.failed_save("wikibase-validator-label-conflict", [label["value"], lang, link],
                                                f"Property {link} already has label \"{label['value']}\" "
                                                f"associated with language code {lang}.")
                    raise rules.failed_save("wikibase-validator-label-with-description-conflict",
                                            [label["value"], lang, link],
                                            f"Item {link} already has label \"{label['value']}\" associated with "
                                            f"language code {lang}, using the same description text.")

    # --- search ---------------------------------------------------------------------------------------------

    def _search_entities(self, p: dict[str, str]) -> Json:
        text, lang = p.get("search", ""), p.get("language", "")
        if not lang:
            raise ApiError("missingparam", "The \"language\" parameter must be set.")
        kind = p.get("type", "item")
        limit = min(int(p.get("limit", "7")), 50)
        hits = []
        for e in ([] if self.search_lag else self.entities.values()):
            if e.get("type") != kind:
                continue
            label = e["labels"].get(lang, {}).get("value")
            if label and label.lower().startswith(text.lower()):
                base = self.url.rsplit("/w/", 1)[0]
                hits.append({"id": e["id"], "title": e["title"], "pageid": e["pageid"],
                             "display": {"label": {"value": label, "language": lang}},
                             "repository": "", "url": f"{base}/wiki/{e['title']}",
                             "concepturi": f"{base}/entity/{e['id']}", "label": label,
                             "description": e["descriptions"].get(lang, {}).get("value", ""),
                             "match": {"type": "label", "language": lang, "text": label}})
        return {"searchinfo": {"search": text}, "search": hits[:limit], "success": 1}

    def _search(self, p: dict[str, str]) -> Json:
        """list=search. Without CirrusSearch, MediaWiki's database search knows no ``haswbstatement``."""
        m = re.fullmatch(r"haswbstatement:(P[0-9]+)=(.+)", p.get("srsearch", "").strip())
        hits = []
        if m and self.cirrus and not self.search_lag:
            pid, value = m[1], m[2]
            for e in self.entities.values():
                for st in e.get("claims", {}).get(pid, []):
                    dv = st["mainsnak"].get("datavalue", {}).get("value")
                    if dv == value or (isinstance(dv, dict) and dv.get("id") == value):
                        hits.append({"ns": e["ns"], "title": e["title"], "pageid": e["pageid"]})
                        break
        return {"batchcomplete": "", "query": {"searchinfo": {"totalhits": len(hits)}, "search": hits}}

    def _linkshere(self, p: dict[str, str]) -> Json:
        pageids = [int(x) for x in p.get("pageids", "").split("|") if x]
        if len(pageids) > 50:
            raise ApiError("toomanyvalues", "Too many values supplied for parameter \"pageids\". The limit is 50.")
        by_page = {e["pageid"]: e for e in self.entities.values()}
        limit = 500 if p.get("lhlimit") == "max" else int(p.get("lhlimit", "10"))
        rows: list[tuple[int, Json]] = []
        for pid in pageids:
            target = by_page.get(pid)
            if target is None:
                continue
            for e in self.entities.values():
                if target["id"] in set(_links(e)):
                    rows.append((pid, {"pageid": e["pageid"], "ns": e["ns"], "title": e["title"]}))
        start = int(p.get("lhcontinue", "0"))
        page_rows = rows[start:start + limit]
        pages: Json = {}
        for pid in pageids:
            target = by_page.get(pid)
            if target is None:
                pages[str(-pid)] = {"pageid": pid, "missing": ""}
                continue
            pages[str(pid)] = {"pageid": pid, "ns": target["ns"], "title": target["title"]}
        for pid, row in page_rows:
            pages[str(pid)].setdefault("linkshere", []).append(row)
        body: Json = {"batchcomplete": "", "query": {"pages": pages}}
        if start + limit < len(rows):
            body = {"continue": {"lhcontinue": str(start + limit), "continue": "||"}, "query": {"pages": pages}}
        return body


def _links(entity: Json) -> Iterator[str]:
    """Pages an entity links to: the properties and the items its statements use (Wikibase records both)."""
    for group in entity.get("claims", {}).values():
        for st in group:
            snaks = [st["mainsnak"], *[q for qs in (st.get("qualifiers") or {}).values() for q in qs]]
            for s in snaks:
                yield str(s.get("property"))
                v = (s.get("datavalue") or {}).get("value")
                if isinstance(v, dict) and "id" in v:
                    yield str(v["id"])


def _snak_hash(snak: Json) -> str:
    body = {k: snak[k] for k in ("snaktype", "property", "datavalue") if k in snak}
    return hashlib.sha1(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _content(entity: Json) -> str:
    return json.dumps({k: entity.get(k) for k in ("labels", "descriptions", "aliases", "claims", "sitelinks")},
                      sort_keys=True)


def _statements(entity: Json) -> dict[str, Json]:
    return {st["id"]: st for group in entity.get("claims", {}).values() for st in group}


def _same_statement(a: Json, b: Json) -> bool:
    """``Statement::equals``: main snak, qualifiers, references and rank (snak hashes and order aside)."""
    def bare(snak: Json) -> Json:
        return {k: snak.get(k) for k in ("snaktype", "property", "datavalue")}

    def shape(st: Json) -> str:
        quals = sorted(json.dumps(bare(q), sort_keys=True) for qs in (st.get("qualifiers") or {}).values() for q in qs)
        return json.dumps([bare(st["mainsnak"]), quals, st.get("references") or [], st.get("rank", "normal")],
                          sort_keys=True)

    return shape(a) == shape(b)


Op = tuple[str, str, Any, Any]  # (part, language or statement GUID, old, new); None old = add, None new = remove


def _diff(before: Json, after: Json) -> list[Op]:
    """``EntityDiffer`` for what LEADS edits: terms per language, statements per GUID."""
    ops: list[Op] = []
    for part in ("labels", "descriptions"):
        old = {lang: t["value"] for lang, t in (before.get(part) or {}).items()}
        new = {lang: t["value"] for lang, t in (after.get(part) or {}).items()}
        ops += [(part, lang, old.get(lang), new.get(lang)) for lang in sorted(old.keys() | new.keys())
                if old.get(lang) != new.get(lang)]
    old_st, new_st = _statements(before), _statements(after)
    for guid in sorted(old_st.keys() | new_st.keys()):
        a, b = old_st.get(guid), new_st.get(guid)
        if a is None or b is None or not _same_statement(a, b):
            ops.append(("claims", guid, a, b))
    return ops


def _patched(latest: Json, patch: list[Op]) -> Json:
    """``EntityPatcher``: a term is added only where the language has none and changed or removed only where it
    still holds the old text (``TermListPatcher``); a statement is added if its GUID is absent, changed or removed
    by GUID whatever it holds now (``StatementListPatcher``)."""
    out = copy.deepcopy(latest)
    for part, key, old, new in patch:
        if part != "claims":
            terms = out.setdefault(part, {})
            have = terms.get(key, {}).get("value")
            if (old is None and have is None) or (old is not None and have == old):
                if new is None:
                    terms.pop(key, None)
                else:
                    terms[key] = {"language": key, "value": new}
            continue
        where = next(((pid, i) for pid, group in out.get("claims", {}).items() for i, st in enumerate(group)
                      if st.get("id") == key), None)
        if old is None and where is None:
            out.setdefault("claims", {}).setdefault(new["mainsnak"]["property"], []).append(copy.deepcopy(new))
        elif old is not None and where is not None:
            pid, i = where
            if new is None:
                del out["claims"][pid][i]
                if not out["claims"][pid]:
                    del out["claims"][pid]
            else:
                out["claims"][pid][i] = copy.deepcopy(new)
    return out


class _Handler(oauth2.WebPages, BaseHTTPRequestHandler):
    fake: FakeWikibase

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self, params: dict[str, str]) -> None:
        path = urlsplit(self.path).path
        if self._web(path, params):
            return
        if path == "/w/index.php":  # the wiki's pages, not its API: HTML with status 200
            raw = b"<!DOCTYPE html><html><head><title>Main Page</title></head><body>Main Page</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=UTF-8")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)
            return
        if path != "/w/api.php":
            self.send_error(404)
            return
        self.fake.user_agents.append(self.headers.get("User-Agent", ""))
        cookie = SimpleCookie(self.headers.get("Cookie", ""))
        session = cookie["fakewiki_session"].value if "fakewiki_session" in cookie else None
        bearer = self.headers.get("Authorization", "")
        if bearer.startswith("Bearer "):
            session = self.fake.bearer_tokens.get(bearer[7:])
            if session is None:
                self._json(401, {"error": {"code": "mwoauth-invalid-authorization",
                                           "info": "The authorization headers in your request are not valid"}})
                return
        status, body, headers, new_cookie = self.fake.handle(params, session)
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("MediaWiki-API-Error", body["error"]["code"]) if "error" in body else None
        for k, v in headers.items():
            self.send_header(k, v)
        if new_cookie:
            self.send_header("Set-Cookie", f"fakewiki_session={new_cookie}; path=/; HttpOnly")
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        self._serve(dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True)))

    def _json(self, status: int, body: Json) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode()
        query = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        if urlsplit(self.path).path == "/w/rest.php/oauth2/access_token":
            form = dict(parse_qsl(body, keep_blank_values=True))
            basic = self.headers.get("Authorization", "")
            if basic.startswith("Basic "):  # RFC 6749 §2.3.1: client credentials in HTTP Basic (or in the body)
                client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
                form.update(client_id=unquote(client_id), client_secret=unquote(secret))
            if form.get("grant_type") == "authorization_code":
                self._json(*self.fake.code_token(form))
            else:
                self._json(*self.fake.token(form))
            return
        if urlsplit(self.path).path == "/w/index.php" and query.get("title") == "Special:UserLogin":
            self._login_post(body)
            return
        params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        params.update(parse_qsl(body, keep_blank_values=True))
        self._serve(params)


@contextmanager
def running(fake: FakeWikibase | None = None) -> Iterator[FakeWikibase]:
    """Serve a fake on a free loopback port for the duration of the block."""
    fake = fake or FakeWikibase()
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/w/api.php"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), name="fake-wikibase", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
