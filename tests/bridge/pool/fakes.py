"""Local HTTP doubles, on loopback, of the Capacity Exchange backend and of MediaWiki's Extension:OAuth (OAuth 2).

CapX (wikimediabrasil/capx-backend, read from its source): Django REST framework with knox tokens
(``Authorization: Token <64 hex>``; none → 401 "Authentication credentials were not provided.", unknown →
401 "Invalid token."), LimitOffset pagination (PAGE_SIZE 50), trailing slashes. ``/skill/`` (SkillViewSet:
``search`` is DRF's SearchFilter on ``skill_wikidata_item``, a case-insensitive substring; create is staff-only),
``/list/skills/`` (QuickListViewSet: ``{id: str(skill)}``, where ``str(skill)`` is the QID), ``/profile/``
(ProfileViewSet: IsAuthenticated, queryset = the user's own profile, methods get/put/head/delete only; ``update``
checks skills_available ⊆ skills_known on the raw request values first (409), then ProfileSerializer validates:
``user`` and ``language`` required, PrimaryKeyRelatedField for the skills). The profile's pk is the user's pk.

Extension:OAuth (extension.json RestRoutes, Rest/Handler/*.php, league/oauth2-server): ``/oauth2/authorize``
(response_type=code, client_id, redirect_uri, state, code_challenge[_method plain|S256]; errors
invalid_client 401 / invalid_request 400), ``/oauth2/access_token`` (POST only; ``{"error", "error_description",
"hint"}``; a used or unknown code is invalid_grant; a PKCE mismatch is invalid_grant "Failed to verify
`code_verifier`."), ``/oauth2/resource/profile`` (Bearer; ``sub``, ``username``, ``editcount``, ``confirmed_email``,
``blocked``, ``registered``, ``groups``, ``rights``, ``grants``; a hidden user gets only ``sub`` and ``blocked``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

Json = Any


class _Handler(BaseHTTPRequestHandler):
    fake: Any

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _run(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, payload, headers = self.fake.handle(method, self.path, self.headers, body)
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        if not isinstance(payload, bytes):
            self.send_header("Content-Type", "application/json")
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._run("GET")

    def do_POST(self) -> None:
        self._run("POST")

    def do_PUT(self) -> None:
        self._run("PUT")

    def do_PATCH(self) -> None:
        self._run("PATCH")

    def do_DELETE(self) -> None:
        self._run("DELETE")


@contextmanager
def serve(fake: Any) -> Iterator[str]:
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# --- CapX -----------------------------------------------------------------------------------------------------------

QID = re.compile(r"^Q\d+$")
PROFICIENCY = {"0", "1", "2", "3", "4", "5", "n"}
PROFILE_FIELDS = ("user", "last_update", "last_login", "profile_image", "avatar", "display_name", "pronoun", "about",
                  "wikidata_qid", "wiki_alt", "territory", "language", "affiliation", "wikimedia_project", "team",
                  "skills_known", "skills_available", "skills_wanted", "contact", "social", "is_manager", "badges",
                  "automated_lets_connect")
REQUIRED = {"detail": "Authentication credentials were not provided."}


@dataclass
class FakeCapx:
    skills: dict[int, str] = field(default_factory=dict)  # id → skill_wikidata_item
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    profiles: dict[int, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    languages: set[int] = field(default_factory=lambda: {1, 2})
    requests: list[tuple[str, str, Any]] = field(default_factory=list)

    def add_skill(self, qid: str) -> int:
        sid = max(self.skills, default=0) + 1
        self.skills[sid] = qid
        return sid

    def add_user(self, username: str, *, staff: bool = False) -> tuple[int, str]:
        """A CapX account as its MediaWiki login creates it, with its profile; returns (id, knox token)."""
        uid = max(self.users, default=0) + 1
        self.users[uid] = {"id": uid, "username": username, "email": "", "is_staff": staff, "is_active": True,
                           "date_joined": "2025-01-01T00:00:00Z"}
        self.profiles[uid] = {"profile_image": None, "avatar": None, "display_name": "", "pronoun": "", "about": "",
                              "wikidata_qid": "", "wiki_alt": "", "territory": [], "language": [], "affiliation": [],
                              "wikimedia_project": [], "team": "", "skills_known": [], "skills_available": [],
                              "skills_wanted": [], "contact": None, "social": None, "automated_lets_connect": None,
                              "last_update": "2025-01-01T00:00:00Z"}
        token = secrets.token_hex(32)  # knox: 64 hex characters
        self.tokens[token] = uid
        return uid, token

    def serialized(self, uid: int) -> dict[str, Any]:
        p = self.profiles[uid]
        return {"user": dict(self.users[uid]), **{k: v for k, v in p.items()}, "last_login": None, "is_manager": [],
                "badges": []}

    def _auth(self, headers: Any) -> tuple[int | None, tuple[int, Json, dict[str, str]] | None]:
        raw = headers.get("Authorization") or ""
        parts = raw.split()
        if not parts or parts[0].lower() != "token":
            return None, None
        if len(parts) == 1:
            return None, (401, {"detail": "Invalid token header. No credentials provided."},
                          {"WWW-Authenticate": "Token"})
        uid = self.tokens.get(parts[1])
        if uid is None:
            return None, (401, {"detail": "Invalid token."}, {"WWW-Authenticate": "Token"})
        return uid, None

    def handle(self, method: str, raw_path: str, headers: Any, body: bytes) -> tuple[int, Json, dict[str, str]]:
        url = urlsplit(raw_path)
        query = dict(parse_qsl(url.query))
        data = json.loads(body) if body else None
        self.requests.append((method, url.path, data))
        uid, refused = self._auth(headers)
        if refused:
            return refused
        if not url.path.endswith("/"):
            return 404, b"<h1>Not Found</h1>", {"Content-Type": "text/html"}
        if url.path == "/list/skills/" and method == "GET":
            return 200, {str(i): q for i, q in sorted(self.skills.items())}, {}
        if url.path == "/skill/":
            return self._skills(method, query, data, uid)
        m = re.fullmatch(r"/skill/([^/]+)/", url.path)
        if m and method == "GET":
            sid = int(m.group(1)) if m.group(1).isdigit() else None
            if sid not in self.skills:
                return 404, {"detail": "No Skill matches the given query."}, {}
            return 200, self._skill(sid), {}
        if url.path == "/profile/" or re.fullmatch(r"/profile/[^/]+/", url.path):
            return self._profile(method, url.path, data, uid)
        return 404, b"<h1>Not Found</h1>", {"Content-Type": "text/html"}

    def _skill(self, sid: int) -> dict[str, Any]:
        return {"id": sid, "skill_wikidata_item": self.skills[sid], "skill_type": None}

    def _skills(self, method: str, query: dict[str, str], data: Json,
                uid: int | None) -> tuple[int, Json, dict[str, str]]:
        if method == "GET":
            term = query.get("search", "").strip().lower()
            found = [self._skill(s) for s in sorted(self.skills) if term in self.skills[s].lower()]
            limit, offset = int(query.get("limit", 50)), int(query.get("offset", 0))
            return 200, {"count": len(found), "next": None, "previous": None,
                         "results": found[offset:offset + limit]}, {}
        if method != "POST":
            return 405, {"detail": f'Method "{method}" not allowed.'}, {}
        if uid is None:
            return 401, REQUIRED, {"WWW-Authenticate": "Token"}
        if not self.users[uid]["is_staff"]:
            return 403, {"detail": "Only staff can create skills."}, {}
        qid = (data or {}).get("skill_wikidata_item", "")
        if not QID.match(str(qid)):
            return 400, {"skill_wikidata_item": ['Field must be in the format "Q123456789"']}, {}
        if qid in self.skills.values():
            return 400, {"skill_wikidata_item": ["skill with this Wikidata item associated already exists."]}, {}
        return 201, self._skill(self.add_skill(qid)), {}

    def _profile(self, method: str, path: str, data: Json, uid: int | None) -> tuple[int, Json, dict[str, str]]:
        if uid is None:  # IsAuthenticated, checked before the method is dispatched
            return 401, REQUIRED, {"WWW-Authenticate": "Token"}
        allowed = ("GET", "PUT", "HEAD", "DELETE", "OPTIONS")
        if method not in allowed:
            return 405, {"detail": f'Method "{method}" not allowed.'}, {}
        if path == "/profile/":
            if method != "GET":
                return 405, {"detail": f'Method "{method}" not allowed.'}, {}
            return 200, {"count": 1, "next": None, "previous": None, "results": [self.serialized(uid)]}, {}
        key = path.split("/")[2]
        if not key.isdigit() or int(key) != uid:  # get_queryset: only the user's own profile exists
            return 404, {"detail": "No Profile matches the given query."}, {}
        if method == "GET":
            return 200, self.serialized(uid), {}
        if method != "PUT":
            return 405, {"detail": f'Method "{method}" not allowed.'}, {}
        return self._update(uid, data if isinstance(data, dict) else {})

    def _update(self, uid: int, data: dict[str, Any]) -> tuple[int, Json, dict[str, str]]:
        profile = self.profiles[uid]
        # ProfileViewSet.update: the raw request values, compared as sets, before any validation
        known = set(data["skills_known"]) if "skills_known" in data else {str(i) for i in profile["skills_known"]}
        avail = set(data["skills_available"]) if "skills_available" in data else {
            str(i) for i in profile["skills_available"]}
        if avail - known:
            return 409, {"message": "You cannot add a skill to skills_available that is not in skills_known."}, {}
        errors: dict[str, Any] = {}
        if "user" not in data:
            errors["user"] = ["This field is required."]
        elif not isinstance(data["user"], dict):
            errors["user"] = {"non_field_errors": [
                f"Invalid data. Expected a dictionary, but got {type(data['user']).__name__}."]}
        if "language" not in data:
            errors["language"] = ["This field is required."]
        elif not isinstance(data["language"], list):
            errors["language"] = {"non_field_errors": [
                f'Expected a list of items but got type "{type(data["language"]).__name__}".']}
        else:
            for i, item in enumerate(data["language"]):
                problem: dict[str, list[str]] = {}
                if not isinstance(item, dict) or "id" not in item:
                    problem["id"] = ["This field is required."]
                elif not str(item["id"]).isdigit():
                    problem["id"] = ["A valid integer is required."]
                if not isinstance(item, dict) or "proficiency" not in item:
                    problem["proficiency"] = ["This field is required."]
                elif str(item["proficiency"]) not in PROFICIENCY:
                    problem["proficiency"] = [f'"{item["proficiency"]}" is not a valid choice.']
                if problem:
                    errors.setdefault("language", [{} for _ in data["language"]])[i] = problem
        for name in ("skills_known", "skills_available", "skills_wanted"):
            if name in data:
                problem_list = self._pks(data[name])
                if problem_list:
                    errors[name] = problem_list
        if errors:
            return 400, errors, {}
        for lang in data["language"]:
            if int(lang["id"]) not in self.languages:
                return 404, {"detail": "No Language matches the given query."}, {}
        for name in ("skills_known", "skills_available", "skills_wanted"):
            if name in data:
                profile[name] = sorted({int(v) for v in data[name]})
        for name in ("display_name", "pronoun", "about", "wikidata_qid", "wiki_alt", "team", "contact", "social",
                     "avatar", "profile_image", "territory", "affiliation", "wikimedia_project"):
            if name in data:
                profile[name] = data[name]
        profile["language"] = [{"id": int(x["id"]), "proficiency": str(x["proficiency"])} for x in data["language"]]
        self.users[uid]["email"] = data["user"].get("email", self.users[uid]["email"])
        profile["last_update"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return 200, self.serialized(uid), {}

    def _pks(self, values: Any) -> list[str]:
        """PrimaryKeyRelatedField(many=True): the first bad item's message, as DRF reports it."""
        if not isinstance(values, list):
            return [f'Expected a list of items but got type "{type(values).__name__}".']
        for v in values:
            if isinstance(v, bool) or not isinstance(v, int | str):
                return [f"Incorrect type. Expected pk value, received {type(v).__name__}."]
            if isinstance(v, str) and not v.strip().lstrip("-").isdigit():
                return ["Incorrect type. Expected pk value, received str."]
            if int(v) not in self.skills:
                return [f'Invalid pk "{v}" - object does not exist.']
        return []


# --- Extension:OAuth (OAuth 2) --------------------------------------------------------------------------------------

@dataclass
class WikiAccount:
    username: str
    sub: int
    hidden: bool = False


@dataclass
class FakeWikiOAuth:
    client_id: str = "leads-client-0123456789abcdef"
    client_secret: str = "s3cret-of-the-leads-client-000000"
    redirect_uri: str = "http://testserver/pool/wiki/callback"
    browser: WikiAccount | None = None  # who is logged in at the wiki in "the browser"
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, WikiAccount] = field(default_factory=dict)

    def handle(self, method: str, raw_path: str, headers: Any, body: bytes) -> tuple[int, Json, dict[str, str]]:
        url = urlsplit(raw_path)
        if url.path == "/w/rest.php/oauth2/authorize" and method == "GET":
            return self._authorize(dict(parse_qsl(url.query)))
        if url.path == "/w/rest.php/oauth2/access_token":
            if method != "POST":
                return 405, {"errorKey": "rest-wrong-method", "httpCode": 405}, {}
            return self._token(dict(parse_qsl(body.decode())), headers)
        if url.path == "/w/rest.php/oauth2/resource/profile" and method == "GET":
            return self._profile(headers)
        return 404, {"errorKey": "rest-no-match", "httpCode": 404}, {}

    @staticmethod
    def _error(status: int, error: str, description: str, hint: str = "") -> tuple[int, Json, dict[str, str]]:
        payload = {"error": error, "error_description": description, **({"hint": hint} if hint else {})}
        return status, payload, {}

    def _authorize(self, q: dict[str, str]) -> tuple[int, Json, dict[str, str]]:
        for name in ("response_type", "client_id"):
            if not q.get(name):
                return self._error(400, "invalid_request", "The request is missing a required parameter, includes "
                                   "an invalid parameter value, includes a parameter more than once, or is otherwise "
                                   "malformed.", f"Check the `{name}` parameter")
        if q["client_id"] != self.client_id or q.get("redirect_uri", self.redirect_uri) != self.redirect_uri:
            return self._error(401, "invalid_client", "Client authentication failed")
        if q["response_type"] != "code":
            return self._error(400, "unsupported_response_type", "The authorization server does not support "
                               "obtaining an authorization code using this method.")
        method = q.get("code_challenge_method", "plain")
        if q.get("code_challenge") and method not in ("plain", "S256"):
            return self._error(400, "invalid_request", "The request is missing a required parameter…",
                               "Code challenge method must be one of `plain` or `S256`")
        if self.browser is None:  # not logged in at the wiki: Special:UserLogin, then back
            return 302, b"", {"Location": "/w/index.php?title=Special:UserLogin&returnto=Special:OAuth/rest_redirect"}
        code = secrets.token_urlsafe(24)
        self.codes[code] = {"account": self.browser, "challenge": q.get("code_challenge"), "method": method,
                            "redirect_uri": q.get("redirect_uri"), "expires": time.time() + 600, "used": False}
        target = {"code": code, **({"state": q["state"]} if "state" in q else {})}
        return 302, b"", {"Location": f"{self.redirect_uri}?{urlencode(target)}"}

    def _token(self, form: dict[str, str], headers: Any) -> tuple[int, Json, dict[str, str]]:
        if form.get("grant_type") != "authorization_code":
            return self._error(400, "unsupported_grant_type", "The authorization grant type is not supported by the "
                               "authorization server.", "Check that all required parameters have been provided")
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = headers.get("Authorization") or ""
        if basic.lower().startswith("basic "):
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        if client_id != self.client_id or secret != self.client_secret:
            return self._error(401, "invalid_client", "Client authentication failed")
        grant = self.codes.get(form.get("code", ""))
        invalid = ("The provided authorization grant (e.g., authorization code, resource owner credentials) or "
                   "refresh token is invalid, expired, revoked, does not match the redirection URI used in the "
                   "authorization request, or was issued to another client.")
        if grant is None:
            return self._error(400, "invalid_grant", invalid, "Cannot decrypt the authorization code")
        if grant["used"] or grant["expires"] < time.time():
            return self._error(400, "invalid_grant", invalid, "Authorization code has been revoked"
                               if grant["used"] else "Authorization code has expired")
        if grant["redirect_uri"] and form.get("redirect_uri") != grant["redirect_uri"]:
            return self._error(401, "invalid_client", "Client authentication failed")
        if grant["challenge"]:
            verifier = form.get("code_verifier")
            if not verifier:
                return self._error(400, "invalid_request", "The request is missing a required parameter…",
                                   "Check the `code_verifier` parameter")
            computed = verifier if grant["method"] == "plain" else base64.urlsafe_b64encode(
                hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if computed != grant["challenge"]:
                return self._error(400, "invalid_grant", invalid, "Failed to verify `code_verifier`.")
        grant["used"] = True
        access = secrets.token_urlsafe(40)
        self.tokens[access] = grant["account"]
        return 200, {"token_type": "Bearer", "expires_in": 14400, "access_token": access,
                     "refresh_token": secrets.token_urlsafe(40)}, {}

    def _profile(self, headers: Any) -> tuple[int, Json, dict[str, str]]:
        raw = headers.get("Authorization") or ""
        account = self.tokens.get(raw[7:]) if raw.lower().startswith("bearer ") else None
        if account is None:
            return self._error(401, "access_denied", "The resource owner or authorization server denied the "
                               "request.", "Missing \"Authorization\" header" if not raw else "Access token is invalid")
        if account.hidden:
            return 200, {"sub": account.sub, "blocked": True}, {}
        return 200, {"sub": account.sub, "username": account.username, "editcount": 12, "confirmed_email": True,
                     "blocked": False, "registered": "20200101000000", "groups": ["*", "user"],
                     "rights": ["read"], "grants": ["mwoauth-authonly"]}, {}
