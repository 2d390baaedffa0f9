"""Signing in with the Wikibase (OAuth 2 authorization code of Extension:OAuth) and saving as that person.

The flow is Extension:OAuth's: ``rest.php/oauth2/authorize`` (``response_type=code``, ``client_id``, ``state``,
``code_challenge`` with ``S256``), then ``rest.php/oauth2/access_token`` (``grant_type=authorization_code``,
``code``, ``client_id``, ``client_secret``, ``code_verifier``), then ``rest.php/oauth2/resource/profile`` with the
bearer token for the user name. Edits go to ``api.php`` with that bearer token, so the wiki records each edit as
the person's, with their rights; ``baserevid`` is the revision the person started from, and the wiki's
``editconflict`` comes back as :class:`EditConflict` carrying both versions.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from wikibaseintegrator import wbi_login

from bridge.dataspace.api import EntityBase
from bridge.errors import LeadsError, UpstreamError
from bridge.settings import Settings
from bridge.wikibase.api import (
    PROPERTIES,
    PROPERTY_BY_KEY,
    PropertyMap,
    WikibaseApiError,
    WikibaseClient,
    codec,
    load_records,
    save_records,
    sync,
)

Json = dict[str, Any]


class EditConflict(LeadsError):
    """Someone changed the same part of the item on the wiki since the person opened the form."""

    def __init__(self, key: str, entity_id: str, changes: list[tuple[str, str, str]], revision: int) -> None:
        super().__init__(f"{key} ({entity_id}) was changed on the wiki since you opened it", code="edit_conflict",
                         status=409)
        self.key, self.entity_id, self.changes = key, entity_id, changes  # (field, on the wiki now, yours)
        self.revision = revision  # the wiki's revision now


@dataclass(frozen=True)
class Start:
    url: str
    state: str
    verifier: str


def rest_url(settings: Settings) -> str:
    api = str(settings.wikibase_api_url)
    return (settings.wikibase_rest_url or api.removesuffix("api.php") + "rest.php").rstrip("/")


def enabled(settings: Settings) -> bool:
    return bool(settings.wikibase_api_url and settings.wikibase_editor_client_id
                and settings.wikibase_editor_client_secret)


def callback(settings: Settings) -> str:
    return settings.base_url.rstrip("/") + "/edit/callback"


def start(settings: Settings) -> Start:
    """Where to send the browser to sign in, with a fresh ``state`` and PKCE verifier (S256)."""
    state, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    query = {"response_type": "code", "client_id": str(settings.wikibase_editor_client_id),
             "redirect_uri": callback(settings), "state": state, "code_challenge": challenge,
             "code_challenge_method": "S256"}
    return Start(f"{rest_url(settings)}/oauth2/authorize?{urlencode(query)}", state, verifier)


def finish(settings: Settings, code: str, verifier: str, http: requests.Session | None = None) -> tuple[str, str]:
    """(user name, access token) for the code the wiki sent back."""
    http = http or requests.Session()
    secret = settings.wikibase_editor_client_secret
    headers = {"User-Agent": settings.user_agent}
    try:
        answer = http.post(f"{rest_url(settings)}/oauth2/access_token", headers=headers, timeout=30, data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": callback(settings),
            "client_id": settings.wikibase_editor_client_id, "client_secret": secret.get_secret_value() if secret
            else "", "code_verifier": verifier})
        body = answer.json()
        if answer.status_code != 200 or "access_token" not in body:
            raise UpstreamError("the wiki refused the sign-in: %(error)s (%(detail)s)",
                                code="wikibase_signin_refused",
                                params={"error": body.get("error", answer.status_code),
                                        "detail": body.get("hint") or body.get("error_description") or ""})
        token = str(body["access_token"])
        me = http.get(f"{rest_url(settings)}/oauth2/resource/profile", timeout=30,
                      headers={**headers, "Authorization": f"Bearer {token}"})
        profile = me.json()
    except (requests.RequestException, ValueError) as exc:
        raise UpstreamError("the wiki at %(rest_url)s could not be reached for the sign-in (%(exc)s)",
                            code="wikibase_unreachable", params={"rest_url": rest_url(settings), "exc": exc}) from None
    if me.status_code != 200 or not profile.get("username"):
        raise UpstreamError("the wiki did not say who signed in", code="wikibase_signin_refused")
    if profile.get("blocked"):
        raise LeadsError("%(username)s is blocked on the wiki and cannot edit", code="blocked", status=403,
                         params={"username": profile['username']})
    return str(profile["username"]), token


def person_client(settings: Settings, token: str) -> WikibaseClient:
    """A client whose writes carry the person's bearer token (their edits, their rights, their rate limits)."""
    client = WikibaseClient.from_settings(settings)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    bounded = _Bounded(client.transport.timeout)  # wikibaseintegrator fetches edit tokens with no timeout
    session.mount("http://", bounded)
    session.mount("https://", bounded)
    try:
        client.transport._login = wbi_login._Login(session=session, mediawiki_api_url=client.api_url,
                                                   user_agent=settings.user_agent)
    except wbi_login.LoginError as exc:  # wikibaseintegrator words the wiki's error code: "Login failed (code)…"
        code = re.match(r"Login failed \(([^)]*)\)", str(exc))
        if code and (code[1].startswith(("http-5", "internal_api_error")) or code[1] in ("maxlag", "readonly")):
            raise _unavailable(client, exc) from None
        raise LeadsError("the wiki no longer accepts your sign-in (%(exc)s); sign in again",
                         code="wikibase_signin_expired", status=401, params={"exc": exc}) from None
    except (requests.RequestException, ValueError) as exc:  # not reached, or not JSON (an HTML error page)
        raise _unavailable(client, exc) from None
    return client


class _Bounded(requests.adapters.HTTPAdapter):
    """Every request of the session ends within ``timeout`` seconds unless the caller gave its own."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def send(self, request: requests.PreparedRequest, stream: bool = False,
             timeout: float | tuple[float | None, float | None] | None = None, verify: bool | str = True,
             cert: str | tuple[str, str] | None = None, proxies: dict[str, str] | None = None
             ) -> requests.Response:
        return super().send(request, stream=stream, timeout=self.timeout if timeout is None else timeout,
                            verify=verify, cert=cert, proxies=proxies)


def _unavailable(client: WikibaseClient, exc: Exception) -> UpstreamError:
    """The wiki is down or busy for a moment: not a reason to sign in again."""
    return UpstreamError("the wiki at %(api_url)s could not give an edit token just now (%(reason)s); your "
                         "sign-in is still good, try again in a moment", code="wikibase_unavailable",
                         params={"api_url": client.api_url, "reason": f"{exc.__class__.__name__}: {exc}"})


def search(client: WikibaseClient, text: str, lang: str, limit: int = 7) -> list[Json]:
    """wbsearchentities on the configured Wikibase: id, label, description, concept URI."""
    answer = client.call({"action": "wbsearchentities", "search": text, "language": lang, "uselang": lang,
                          "type": "item", "limit": str(limit)})
    return [{"id": h.get("id"), "label": h.get("label", ""), "description": h.get("description", ""),
             "uri": h.get("concepturi", "")} for h in answer.get("search", [])]


def publish(client: WikibaseClient, propmap: PropertyMap, entities: list[EntityBase], known: Mapping[str, EntityBase],
            summary: str, base_revs: Mapping[str, int], db: Any,
            notify: Callable[[str], None] | None = None) -> tuple[list[EntityBase], dict[str, int]]:
    """Create or update each entity as the client's person; (entities with their Q ids, key -> new revision).

    New items are made first as stubs (label, key, class) so references between new entities have ids, then every
    item gets only what changed, with ``baserevid`` = the revision the person's form was based on.
    """
    managed = {propmap.pid(p.key) for p in PROPERTIES}
    ids = {k: str(e.wikibase_id) for k, e in known.items() if e.wikibase_id}
    ids |= {e.key: str(e.wikibase_id) for e in entities if e.wikibase_id}
    ids |= _made_before(client, propmap, [e for e in entities if e.key not in ids])
    current: dict[str, Json] = client.get_entities([ids[e.key] for e in entities if e.key in ids]) if ids else {}
    created: set[str] = set()
    for e in entities:
        if e.key not in ids:
            stub = codec.encode_entity(e, propmap, ids, stub=True)
            entity = client.call({"action": "wbeditentity", "new": "item", "data": _json(stub),
                                  "summary": summary}, write=True)["entity"]
            ids[e.key] = str(entity["id"])
            current[ids[e.key]] = entity
            created.add(e.key)
    revisions: dict[str, int] = {}
    records: dict[str, Json] = {}
    for e in entities:
        eid = ids[e.key]
        data, _ = sync.plan(current[eid], codec.encode_entity(e, propmap, ids), managed, None, e.key)
        if data is None:
            revisions[e.key] = int(current[eid].get("lastrevid", 0))
            records[e.key] = sync.record(current[eid], managed)
            continue
        base = int(current[eid].get("lastrevid", 0)) if e.key in created else base_revs.get(e.key)
        params: Json = {"action": "wbeditentity", "id": eid, "data": _json(data), "summary": summary}
        if base:
            params["baserevid"] = str(base)
        try:
            saved = client.call(params, write=True)["entity"]
        except WikibaseApiError as exc:
            if exc.api_code == "editconflict":
                raise _conflict(e.key, eid, client, propmap, codec.encode_entity(e, propmap, ids), managed) from None
            raise
        revisions[e.key] = int(saved.get("lastrevid", 0))
        records[e.key] = sync.record(saved, managed)
    save_records(db, client.api_url, records)
    out = [e.model_copy(update={"wikibase_id": ids[e.key]}) for e in entities]
    return out, revisions


def _made_before(client: WikibaseClient, propmap: PropertyMap, new: list[EntityBase]) -> dict[str, str]:
    """Items a publish cut short already made for these keys (their stubs are saved first): found by exact label,
    confirmed by their LEADS key statement, so publishing again completes them instead of making them twice."""
    candidates: dict[str, list[str]] = {}
    for e in new:
        lang, label = next(((k, v) for k, v in sorted(e.labels.items(), key=lambda kv: kv[0] != "en") if v),
                           (None, None))
        if lang and label:
            candidates[e.key] = client.search(label, "item", lang)
    return client.confirm({k: v for k, v in candidates.items() if v}, propmap) if candidates else {}


def revisions_of(db: Any, api_url: str, keys: list[str]) -> dict[str, int]:
    """The revision each key was last pulled or saved at (what an edit starting now is based on)."""
    records = load_records(db, api_url)
    return {k: int(records[k].get("rev", 0)) for k in keys if k in records}


def _conflict(key: str, eid: str, client: WikibaseClient, propmap: PropertyMap, mine: Json,
              managed: set[str]) -> EditConflict:
    wiki = client.get_entities([eid])[eid]
    theirs, yours = sync.fields(wiki, managed), sync.fields(mine, managed)
    label_of = {pid: PROPERTY_BY_KEY[k].labels["en"] for k, pid in propmap.ids.items() if k in PROPERTY_BY_KEY}
    changes = []
    for name in sorted(set(theirs) | set(yours)):
        if theirs.get(name) != yours.get(name):
            diff = sync.Difference(key, eid, name, None, theirs.get(name), yours.get(name))
            text = sync.describe(diff, label_of)
            where, _, rest = text.partition(": on the wiki now ")
            wiki_now, _, local = rest.partition(" (was ")
            changes.append((where, wiki_now, local.rpartition("this push has ")[2]))
    return EditConflict(key, eid, changes, int(wiki.get("lastrevid", 0)))


def _json(data: Json) -> str:
    import json

    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
