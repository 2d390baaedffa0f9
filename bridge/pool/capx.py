"""A Capacity Exchange client that speaks CapX's own API (wikimediabrasil/capx-backend), and the skill sync.

What CapX offers (read from its source, docs/capx.md): capacities are ``Skill`` rows keyed by an integer id with a
unique ``skill_wikidata_item`` (``GET /list/skills/`` gives ``{id: QID}``; ``GET /skill/?search=`` is a substring
match, so LEADS never uses it to map); only CapX staff create them. A profile is written by its owner only, with
``PUT /profile/{id}/`` (no PATCH), the whole profile (``user`` and ``language`` required), capacity ids in
``skills_known`` / ``skills_available``, ``skills_available`` ⊆ ``skills_known`` (else 409), and the owner's knox
token (``Authorization: Token …``) from CapX's MediaWiki login. LEADS holds no service account: it writes as the
person, with the token the person gave it.

The sync reads, merges and writes: everything the person entered stays; LEADS adds the capacities its verified
credentials back, remembers exactly which ones it added (and for which pool entries), and removes only those when
their credentials are revoked, suspended or expire. A capacity LEADS added and the person removed in CapX is never
added again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from bridge.dataspace.api import Competence, current_index
from bridge.db import Database
from bridge.errors import LeadsError, NotFound, UpstreamError
from bridge.pool import sealed, service
from bridge.pool.tables import CapxLink, PoolCompetence, PoolEntry, PoolProfile
from bridge.settings import Settings

READ_ONLY = ("last_update", "last_login", "is_manager", "badges")  # ProfileSerializer's computed or read-only fields


class CapxRefused(LeadsError):
    """CapX refused the call; its own answer is kept in ``extra['capx']``."""


def seal(settings: Settings, token: str) -> str:
    return "v1:" + sealed.seal(settings, "capx-token", token, b"capx")


def unseal(settings: Settings, token_sealed: str | None) -> str | None:
    """The token, or None (LEADS_SECRET_KEY changed: the person connects again)."""
    if not token_sealed or not token_sealed.startswith("v1:"):
        return None
    return sealed.unseal(settings, "capx-token", token_sealed[3:], b"capx")


class CapxClient:
    """The calls LEADS makes, as CapX's views answer them."""

    def __init__(self, base_url: str, http: httpx.Client, token: str | None = None) -> None:
        self.base = base_url.rstrip("/")
        self.http = http
        self.token = token

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        return headers

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        try:
            response = self.http.request(method, f"{self.base}{path}", headers=self._headers(), json=body)
        except httpx.HTTPError as exc:
            raise UpstreamError("the Capacity Exchange could not be reached (%(name)s)",
                                code="capx_unreachable", params={"name": exc.__class__.__name__}) from exc
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code == 401:
            raise CapxRefused("the Capacity Exchange did not accept the CapX token (it expires after 30 days): sign "
                              "in to CapX again and give LEADS the new token", code="capx_token_refused",
                              status=422, extra={"capx": data})
        if response.status_code >= 400:
            raise CapxRefused("the Capacity Exchange refused %(method)s %(path)s (HTTP %(status_code)s): %(data)s",
                              code="capx_refused", status=502, extra={"capx": data},
                              params={"method": method, "path": path, "status_code": response.status_code,
                                      "data": data})
        return data

    def capacities(self) -> dict[str, int]:
        """QID → capacity id, by exact ``skill_wikidata_item`` (``GET /list/skills/``; public)."""
        listed = self._call("GET", "/list/skills/")
        if not isinstance(listed, dict):
            raise UpstreamError("the Capacity Exchange's /list/skills/ is not a mapping", code="capx_unexpected")
        return {str(qid): int(cid) for cid, qid in listed.items()}

    def my_profile(self) -> dict[str, Any]:
        """The token owner's profile (``GET /profile/`` lists only one's own, paginated)."""
        page = self._call("GET", "/profile/")
        results = page.get("results") if isinstance(page, dict) else page
        if not isinstance(results, list) or not results or not isinstance(results[0], dict):
            raise UpstreamError("the Capacity Exchange returned no profile for this token", code="capx_unexpected")
        profile: dict[str, Any] = results[0]
        return profile

    def put_profile(self, user_id: int, profile: Mapping[str, Any]) -> dict[str, Any]:
        body = {k: v for k, v in profile.items() if k not in READ_ONLY}
        user = profile.get("user") or {}
        body["user"] = {"email": user.get("email") or ""}
        answer: dict[str, Any] = self._call("PUT", f"/profile/{user_id}/", body)
        return answer


class SkillList:
    """CapX's skill list as the public missing-capacities page reads it: kept ``ttl`` seconds (``failed_ttl`` when
    CapX could not be reached), one call at a time. Without it every anonymous request to that page was one outbound
    call to CapX, which anyone could repeat to load CapX through LEADS. Its staff add skills rarely, so a page ten
    minutes behind says the same."""

    def __init__(self, ttl: float = 600.0, failed_ttl: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.failed_ttl, self.clock = ttl, failed_ttl, clock
        self._lock = threading.Lock()
        self._kept: tuple[str, float, dict[str, int] | None] | None = None

    def capacities(self, base_url: str, http: httpx.Client) -> dict[str, int] | None:
        """QID → capacity id, or None when CapX did not answer (the callers waiting meanwhile get the same)."""
        with self._lock:
            if self._kept is not None:
                url, at, kept = self._kept
                if url == base_url and self.clock() - at < (self.ttl if kept is not None else self.failed_ttl):
                    return kept
            try:
                answer: dict[str, int] | None = CapxClient(base_url, http).capacities()
            except LeadsError:
                answer = None
            self._kept = (base_url, self.clock(), answer)
            return answer


@dataclass
class Plan:
    known: list[int]
    available: list[int]
    ledger_known: dict[str, list[int]]
    ledger_available: dict[str, list[int]]
    declined: dict[str, list[int]]
    added: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)  # LEADS's once, now the person's (they offer it themselves)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def plan(known: Iterable[int], available: Iterable[int], ledger_known: Mapping[str, list[int]],
         ledger_available: Mapping[str, list[int]], declined: Mapping[str, list[int]],
         targets: Mapping[int, list[int]], share_available: bool) -> Plan:
    """Merge LEADS's verified capacities (``targets``: capacity → pool entry ids) into a CapX profile.

    Pure: the person's own entries are never touched; only what the ledger says LEADS added can leave."""
    known, available = list(known), list(available)
    gone_known = [int(c) for c in ledger_known if int(c) not in known]  # the person removed LEADS's skill
    gone_avail = [int(c) for c in ledger_available if int(c) not in available]
    refused = {"known": sorted({*declined.get("known", []), *gone_known}),
               "available": sorted({*declined.get("available", []), *gone_avail})}
    result = Plan(known, available, {}, {}, refused)
    mine_known = {int(c) for c in ledger_known} - set(gone_known)
    mine_avail = {int(c) for c in ledger_available} - set(gone_avail)
    for cap, entries in sorted(targets.items()):
        if cap in refused["known"] or (cap in known and cap not in mine_known):
            continue  # declined, or the person entered it: theirs
        if cap not in known:
            known.append(cap)
            result.added.append(cap)
        result.ledger_known[str(cap)] = sorted(entries)
    for cap, entries in sorted(targets.items()):
        if not share_available or str(cap) not in result.ledger_known or cap in refused["available"]:
            continue
        if cap in available and cap not in mine_avail:
            continue
        if cap not in available:
            available.append(cap)
            if cap not in result.added:
                result.added.append(cap)
        result.ledger_available[str(cap)] = sorted(entries)
    for cap in sorted(mine_avail):
        if str(cap) not in result.ledger_available:
            available.remove(cap)
            result.removed.append(cap)
    for cap in sorted(mine_known):
        if str(cap) in result.ledger_known:
            continue
        if cap in available:  # the person offers it themselves: CapX needs it known, so it stays, theirs now
            result.kept.append(cap)
            continue
        known.remove(cap)
        if cap not in result.removed:
            result.removed.append(cap)
    return result


def evidence_url(settings: Settings, entry_id: int) -> str:
    return f"{settings.base_url.rstrip('/')}/pool/evidence/{entry_id}"


def skills(db: Database, settings: Settings, handle: str) -> list[dict[str, Any]]:
    """The profile's verified competences, one per Wikidata item (or per competence without one), with the highest
    level and every backing entry's evidence URL."""
    view = service.profile_view(db, handle)
    found: dict[str, dict[str, Any]] = {}
    for cred in view["credentials"]:
        for comp in cred["competences"]:
            key = comp["wikidata"] or f"competence:{comp['competence']}"
            skill = found.setdefault(key, {"qid": comp["wikidata"], "competence": comp["competence"],
                                           "label": comp["label"], "level": None, "evidence": []})
            if comp["level"] is not None and (skill["level"] is None or comp["level"] > skill["level"]):
                skill["level"] = comp["level"]
            skill["evidence"].append({"entry": cred["id"], "url": evidence_url(settings, cred["id"]),
                                      "level": comp["level"], "title": cred["title"]})
    return sorted(found.values(), key=lambda s: (s["qid"] is None, str(s["qid"] or s["competence"])))


def missing_capacity(skill: Mapping[str, Any]) -> dict[str, Any]:
    """What is missing for a skill to reach CapX, said to the learner and to the editors who can fix it."""
    if not skill["qid"]:
        return {"competence": skill["competence"], "label": skill["label"], "qid": None,
                "who": "data-space editors", "needs": "a Wikidata item on the competence (property 'Wikidata item')"}
    return {"competence": skill["competence"], "label": skill["label"], "qid": skill["qid"],
            "who": "a CapX staff member (is_staff)",
            "needs": f"a CapX capacity for {skill['qid']}",
            "request": {"method": "POST", "path": "/skill/",
                        "body": {"skill_wikidata_item": skill["qid"], "skill_type": None},
                        "note": "skill_type: the id of the parent capacity, if any (at most 3 levels deep)"}}


def _profile(session: Session, handle: str) -> PoolProfile:
    profile = session.scalar(select(PoolProfile).where(PoolProfile.handle == handle))
    if profile is None:
        raise NotFound("no pool profile '%(handle)s'", params={"handle": handle})
    return profile


def _same_user(a: str, b: str) -> bool:
    """MediaWiki user names: underscores are spaces, the first letter is upper case."""
    def norm(name: str) -> str:
        name = name.replace("_", " ").strip()
        return name[:1].upper() + name[1:]
    return norm(a) == norm(b)


def connect(db: Database, settings: Settings, http: httpx.Client, *, handle: str, token: str,
            share_available: bool, now: datetime) -> dict[str, Any]:
    """Link the profile to its owner's CapX profile (the token's owner must be the profile's proven wiki user:
    CapX accounts are MediaWiki accounts), then sync."""
    client = CapxClient(settings.capx_api_url, http, token.strip())
    me = client.my_profile()
    capx_user = me.get("user") or {}
    with db.session() as session:
        profile = _profile(session, handle)
        if not profile.wiki_username or profile.wiki_verified_at is None:
            raise LeadsError("sign in with Wikimedia first: CapX accounts are wiki accounts, and LEADS syncs only to "
                             "the CapX profile of the wiki user this pool profile has proven",
                             code="wiki_login_required", status=403)
        if not _same_user(str(capx_user.get("username", "")), profile.wiki_username):
            raise LeadsError("this CapX token belongs to %(capx_user)s, not to %(wiki_username)s, the wiki user of "
                             "this pool profile", code="capx_account_mismatch", status=403,
                             params={"capx_user": repr(capx_user.get("username")),
                                     "wiki_username": repr(profile.wiki_username)})
        link = session.scalar(select(CapxLink).where(CapxLink.profile_id == profile.id))
        if link is None:
            link = CapxLink(profile_id=profile.id, added_known={}, added_available={}, declined={})
            session.add(link)
        if link.capx_user_id is not None and link.capx_user_id != int(capx_user["id"]):
            link.added_known, link.added_available, link.declined = {}, {}, {}
        link.capx_url, link.capx_user_id = settings.capx_api_url, int(capx_user["id"])
        link.token_sealed, link.share_available = seal(settings, token.strip()), share_available
    return sync(db, settings, http, handle=handle, now=now)


def sync(db: Database, settings: Settings, http: httpx.Client, *, handle: str, now: datetime) -> dict[str, Any]:
    """Read the CapX profile, merge, write it back as the person; remember what LEADS added."""
    with db.session() as session:
        profile = _profile(session, handle)
        link = session.scalar(select(CapxLink).where(CapxLink.profile_id == profile.id))
        if link is None:
            raise NotFound("the pool profile '%(handle)s' is not connected to the Capacity Exchange",
                           code="capx_not_connected", params={"handle": handle})
        token = unseal(settings, link.token_sealed)
        ledger = (dict(link.added_known), dict(link.added_available), dict(link.declined), link.share_available,
                  link.capx_user_id, link.capx_url)
    if token is None:
        raise LeadsError("LEADS no longer holds a usable CapX token for this profile: connect it again",
                         code="capx_token_refused", status=422)
    added_known, added_available, declined, share, capx_user_id, capx_url = ledger
    client = CapxClient(capx_url, http, token)
    capacities = client.capacities()
    found = skills(db, settings, handle)
    targets: dict[int, list[int]] = {}
    mapped, missing = [], []
    for skill in found:
        cap = capacities.get(skill["qid"] or "")
        if cap is None:
            missing.append(missing_capacity(skill))
            continue
        targets.setdefault(cap, []).extend(e["entry"] for e in skill["evidence"])
        mapped.append({**skill, "capacity": cap})
    me = client.my_profile()
    if int((me.get("user") or {}).get("id", -1)) != capx_user_id:
        raise LeadsError("the CapX token now belongs to another CapX user: connect the profile again",
                         code="capx_account_mismatch", status=403)
    merged = plan([int(c) for c in me.get("skills_known") or []], [int(c) for c in me.get("skills_available") or []],
                  added_known, added_available, declined, targets, share)
    if merged.changed:
        client.put_profile(capx_user_id, {**me, "skills_known": merged.known, "skills_available": merged.available})
    result = {"profile": handle, "capx_user": capx_user_id, "synced_at": now.isoformat(), "added": merged.added,
              "removed": merged.removed, "kept_as_yours": merged.kept, "skills": mapped, "missing": missing,
              "skills_known": merged.known, "skills_available": merged.available}
    with db.session() as session:
        link_row = session.scalar(select(CapxLink).join(PoolProfile).where(PoolProfile.handle == handle))
        if link_row is not None:
            link_row.added_known, link_row.added_available = merged.ledger_known, merged.ledger_available
            link_row.declined, link_row.last_sync_at, link_row.last_result = merged.declined, now, result
    return result


def sync_all(db: Database, settings: Settings, http: httpx.Client, now: datetime) -> list[tuple[str, str]]:
    """Every connected profile (after ``leads pool recheck``): what LEADS added for a credential that left the pool
    leaves CapX. Returns (handle, outcome) pairs; one profile's failure does not stop the others."""
    with db.session() as session:
        handles = list(session.scalars(select(PoolProfile.handle).join(CapxLink).order_by(PoolProfile.handle)))
    outcomes = []
    for handle in handles:
        try:
            result = sync(db, settings, http, handle=handle, now=now)
            outcomes.append((handle, f"added {result['added']}, removed {result['removed']}, "
                                     f"{len(result['missing'])} without a CapX capacity"))
        except LeadsError as exc:
            outcomes.append((handle, f"not synced: {exc.message}"))
    return outcomes


def missing_report(db: Database, settings: Settings, http: httpx.Client,
                   skills: SkillList | None = None) -> tuple[list[dict[str, Any]], bool]:
    """Competences of the pool's live entries that cannot reach CapX, for data-space editors and CapX admins; and
    whether CapX answered (when it does not, only the competences without a Wikidata item are known to be missing).
    One grouped query (the competences held and by how many people), not a profile read per person: the page is
    public, and a MOOC's pool holds tens of thousands of people. A web process passes its ``skills`` kept list."""
    capacities = (skills or SkillList(ttl=0.0, failed_ttl=0.0)).capacities(settings.capx_api_url, http)
    entities = current_index(db).of_kinds(Competence)
    with db.session() as session:
        held = session.execute(
            select(PoolCompetence.competence_key, func.count(distinct(PoolEntry.profile_id)))
            .join(PoolEntry, PoolCompetence.entry_id == PoolEntry.id)
            .where(service.live_entries(datetime.now(UTC)))
            .group_by(PoolCompetence.competence_key)).all()
    report = []
    for key, holders in held:
        entity = entities.get(key)
        qid = getattr(entity, "wikidata", None)
        if (qid and capacities is None) or (qid or "") in (capacities or {}):
            continue
        label = entity.label() if entity is not None else key
        report.append({**missing_capacity({"competence": key, "label": label, "qid": qid}), "holders": holders})
    return sorted(report, key=lambda m: (m["qid"] is None, m["competence"])), capacities is not None
