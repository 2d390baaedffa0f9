"""A local fake of the MediaWiki Action API (``api.php``) of a Wikibase, on 127.0.0.1 in a thread.

Written from the documented response shapes (API:Tokens, API:Login, wbgetentities, wbeditentity,
wbsearchentities, API:Search with ``haswbstatement``, API:Linkshere, API:Errors_and_warnings, maxlag).
It counts requests per action so tests can assert batching, and can be told to fail the next requests
(maxlag, rate limit, HTTP 429/503) to exercise the client's retries. wikibaseintegrator talks to it unmodified.
"""

from __future__ import annotations

import base64
import copy
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
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

Json = dict[str, Any]
ID = re.compile(r"^([PQ])([1-9][0-9]*)$")
SERVED_BY = "fake-mw1"


class ApiError(Exception):
    def __init__(self, code: str, info: str, **extra: Any) -> None:
        super().__init__(info)
        self.code, self.info, self.extra = code, info, extra


@dataclass
class Session:
    login_token: str | None = None
    user: str | None = None
    csrf: str | None = None


@dataclass
class Fault:
    kind: str  # "maxlag" | "ratelimited" | "429" | "503"
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

    def fail_next(self, kind: str, times: int = 1, action: str | None = None, retry_after: str = "0") -> None:
        self.faults.extend(Fault(kind, action, retry_after) for _ in range(times))

    def reset_counts(self) -> None:
        self.counts.clear()
        self.log.clear()

    def requested_ids(self) -> list[list[str]]:
        return [entry["ids"].split("|") for entry in self.log if entry.get("action") == "wbgetentities"]

    # --- the API --------------------------------------------------------------------------------------------

    def handle(self, params: dict[str, str], cookie: str | None) -> tuple[int, Json, dict[str, str], str | None]:
        """(HTTP status, JSON body, extra headers, new session cookie) for one request."""
        with self.lock:
            action = params.get("action", "")
            self.counts[action] += 1
            self.counts["total"] += 1
            self.log.append(dict(params))
            fault = next((f for f in self.faults if f.action in (None, action)), None)
            if fault is not None:
                self.faults.remove(fault)
                return self._fault(fault)
            session_id = cookie if cookie in self.sessions else None
            new_cookie = None
            if session_id is None:
                session_id = secrets.token_hex(8)
                self.sessions[session_id] = Session()
                new_cookie = session_id
            session = self.sessions[session_id]
            try:
                body = self._dispatch(action, params, session)
            except ApiError as exc:
                body = {"error": {"code": exc.code, "info": exc.info, **exc.extra,
                                  "*": "See http://127.0.0.1/w/api.php for API usage."}, "servedby": SERVED_BY}
            return 200, body, {}, new_cookie

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

    def _fault(self, fault: Fault) -> tuple[int, Json, dict[str, str], str | None]:
        headers = {"Retry-After": fault.retry_after}
        if fault.kind == "maxlag":
            headers["X-Database-Lag"] = "1"
            return 200, {"error": {"code": "maxlag", "info": "Waiting for 10.0.0.1: 1 seconds lagged.",
                                   "host": "10.0.0.1", "lag": 1, "type": "db"}, "servedby": SERVED_BY}, headers, None
        if fault.kind == "ratelimited":
            return 200, {"error": {"code": "ratelimited", "info": "As an anti-abuse measure, you are limited from "
                                   "performing this action too many times in a short space of time.",
                                   "messages": [{"name": "actionthrottledtext", "parameters": [], "html": {}}]},
                         "servedby": SERVED_BY}, headers, None
        status = int(fault.kind)
        body = {"error": {"code": "http-" + fault.kind, "info": "Service temporarily unavailable"}}
        return status, body, headers, None

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
            self._check_write(p, session)
            return self._edit(p)
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
        if p.get("list") == "search":
            return self._haswbstatement(p)
        if p.get("prop") == "linkshere":
            return self._linkshere(p)
        raise ApiError("badvalue", "Unsupported query in this fake.")

    def _login(self, p: dict[str, str], session: Session) -> Json:
        if not session.login_token or p.get("lgtoken") != session.login_token:
            return {"login": {"result": "WrongToken"}}
        name, password = p.get("lgname", ""), p.get("lgpassword", "")
        if self.users.get(name) != password:
            return {"login": {"result": "Failed",
                              "reason": "Incorrect username or password entered. Please try again."}}
        session.user = name.split("@")[0]
        return {"login": {"result": "Success", "lguserid": 1, "lgusername": session.user}}

    def _check_write(self, p: dict[str, str], session: Session) -> None:
        if p.get("assert") in ("user", "bot") and not session.user:
            raise ApiError("assertuserfailed", "You are no longer logged in, so the action could not be completed.")
        if not session.csrf or p.get("token") != session.csrf:
            raise ApiError("badtoken", "Invalid CSRF token.")

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

    def _edit(self, p: dict[str, str]) -> Json:
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
            letter = "P" if kind == "property" else "Q"
            eid = f"{letter}{self.next_id[letter]}"
            entity: Json = {"pageid": len(self.entities) + 1, "ns": 122 if kind == "property" else 120,
                            "title": f"{'Property' if kind == 'property' else 'Item'}:{eid}", "lastrevid": 0,
                            "modified": "", "type": kind, "id": eid, "labels": {}, "descriptions": {},
                            "aliases": {}, "claims": {}}
            if kind == "property":
                entity["datatype"] = data["datatype"]
            else:
                entity["sitelinks"] = {}
        else:
            eid = p.get("id", "")
            if eid not in self.entities:
                raise ApiError("no-such-entity", f"Could not find an entity with the ID \"{eid}\".", id=eid)
            entity = copy.deepcopy(self.entities[eid])
            if "clear" in p:
                entity.update(labels={}, descriptions={}, aliases={}, claims={})
        for part in ("labels", "descriptions"):
            for lang, value in (data.get(part) or {}).items():
                if value.get("remove") is not None or not value.get("value"):
                    entity[part].pop(lang, None)
                else:
                    entity[part][lang] = {"language": lang, "value": value["value"]}
        self._apply_claims(entity, data.get("claims") or {})
        self._check_label_conflicts(entity)
        if "new" in p:
            self.next_id[eid[0]] += 1
        self.revision += 1
        entity["lastrevid"] = self.revision
        entity["modified"] = "2026-01-15T12:00:00Z"
        self.entities[eid] = entity
        return {"entity": copy.deepcopy(entity), "success": 1}

    def _apply_claims(self, entity: Json, claims: Any) -> None:
        statements = [s for group in claims.values() for s in group] if isinstance(claims, dict) else list(claims)
        for st in statements:
            if "remove" in st:
                for pid, group in list(entity["claims"].items()):
                    entity["claims"][pid] = [s for s in group if s.get("id") != st.get("id")]
                    if not entity["claims"][pid]:
                        del entity["claims"][pid]
                continue
            pid = st["mainsnak"]["property"]
            prop = self.entities.get(pid)
            if prop is None or prop.get("type") != "property":
                raise ApiError("modification-failed", f"Property {pid} not found.",
                               messages=[{"name": "wikibase-validator-no-such-property", "parameters": [pid]}])
            st = copy.deepcopy(st)
            st.setdefault("type", "statement")
            st.setdefault("rank", "normal")
            st["mainsnak"]["hash"] = uuid.uuid4().hex + "00000000"
            st["mainsnak"]["datatype"] = prop["datatype"]
            for snaks in (st.get("qualifiers") or {}).values():
                for q in snaks:
                    q["hash"] = uuid.uuid4().hex + "00000000"
            if st.get("qualifiers"):
                st["qualifiers-order"] = list(st["qualifiers"])
            group = entity["claims"].setdefault(pid, [])
            existing = [i for i, s in enumerate(group) if st.get("id") and s.get("id") == st["id"]]
            if existing:
                group[existing[0]] = st
            else:
                st["id"] = f"{entity['id']}${str(uuid.uuid4()).upper()}"
                group.append(st)

    def _check_label_conflicts(self, entity: Json) -> None:
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
                    name = ("wikibase-validator-label-conflict" if entity["type"] == "property"
                            else "wikibase-validator-label-with-description-conflict")
                    link = f"[[{other['title']}|{other['id']}]]"
                    raise ApiError("modification-failed", f"{other['id']} already has label \"{label['value']}\" "
                                   f"associated with language code {lang}.",
                                   messages=[{"name": name, "parameters": [label["value"], lang, link]}])

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

    def _haswbstatement(self, p: dict[str, str]) -> Json:
        m = re.fullmatch(r"haswbstatement:(P[0-9]+)=(.+)", p.get("srsearch", "").strip())
        hits = []
        if m and not self.search_lag:
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
                if e["type"] == "item" and target["id"] in set(_item_links(e)):
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


def _item_links(entity: Json) -> Iterator[str]:
    for group in entity.get("claims", {}).values():
        for st in group:
            snaks = [st["mainsnak"], *[q for qs in (st.get("qualifiers") or {}).values() for q in qs]]
            for s in snaks:
                v = (s.get("datavalue") or {}).get("value")
                if isinstance(v, dict) and "id" in v:
                    yield str(v["id"])


class _Handler(BaseHTTPRequestHandler):
    fake: FakeWikibase

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self, params: dict[str, str]) -> None:
        if urlsplit(self.path).path != "/w/api.php":
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
        if urlsplit(self.path).path == "/w/rest.php/oauth2/access_token":
            form = dict(parse_qsl(body, keep_blank_values=True))
            basic = self.headers.get("Authorization", "")
            if basic.startswith("Basic "):  # RFC 6749 §2.3.1: client credentials in HTTP Basic (or in the body)
                client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
                form.update(client_id=unquote(client_id), client_secret=unquote(secret))
            self._json(*self.fake.token(form))
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
