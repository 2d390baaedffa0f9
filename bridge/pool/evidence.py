"""What the pool shows outside itself: the Capacity Exchange export, the badge feed CapX's importer can read, and the
public evidence page of a published credential (verified again at each request); and what only the profile's
owner sees: the credentials the pool does not show (suspended, no longer trusted or verifying), with why.

The public sees a credential only while it is listed (``service.live_entries``, the rule search and profile pages
use): a hidden one answers 404 like one that never was, so nobody learns from its evidence page that its issuer
suspended it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bridge.credentials.api import IssuedCredentialRow
from bridge.dataspace.api import Competence, current_index
from bridge.db import Database
from bridge.db.base import aware
from bridge.errors import NotFound
from bridge.pool.service import Verifier, live_entries, profile_view, proven_username, record_check
from bridge.pool.tables import PoolEntry, PoolProfile


def capx_export(db: Database, handle: str, base_url: str) -> dict[str, Any]:
    """The person's verified competences for the Capacity Exchange: Wikidata items (CapX maps them to capacity ids,
    docs/capx.md), each with its label, highest level and the public evidence URL of every backing credential."""
    view = profile_view(db, handle)
    base = base_url.rstrip("/")
    known: dict[str, dict[str, Any]] = {}
    unmapped = []
    for cred in view["credentials"]:
        for comp in cred["competences"]:
            if not comp["wikidata"]:
                unmapped.append(comp["competence"])
                continue
            skill = known.setdefault(comp["wikidata"], {"qid": comp["wikidata"], "label": comp["label"],
                                                        "competences": [], "level": None, "evidence": []})
            if comp["competence"] not in skill["competences"]:
                skill["competences"].append(comp["competence"])
            if comp["level"] is not None and (skill["level"] is None or comp["level"] > skill["level"]):
                skill["level"] = comp["level"]
            skill["evidence"].append({"entry": cred["id"], "url": f"{base}{cred['evidence']}",
                                      "level": comp["level"], "title": cred["title"],
                                      "verified_at": cred["verified_at"]})
    return {
        "profile": view["handle"],
        "wiki_username": view["wiki_username"],
        "wiki_username_verified": view["wiki_verified"],
        "skills_known": sorted(known),
        "skills": sorted(known.values(), key=lambda s: str(s["qid"])),
        "unmapped_competences": sorted(set(unmapped)),
        "note": "skills_known holds Wikidata items; CapX stores capacity ids: map each by exact skill_wikidata_item "
                "from CapX's GET /list/skills/ (docs/capx.md)",
    }


def _gone(entry_id: int) -> NotFound:
    return NotFound("no published credential %(entry_id)s is shown in the pool: it was unpublished, revoked or "
                    "expired, or its issuer suspended it", code="evidence_gone", params={"entry_id": entry_id})


def evidence_view(db: Database, verifier: Verifier, entry_id: int, now: datetime | None = None,
                  lang: str = "en") -> dict[str, Any]:
    """A listed credential as public evidence: who shows it, its competences and levels, and a verification run
    now (not a stored verdict). One the pool hides (suspended, no longer trusted or verifying) is not found, as
    if it had never been published: its owner sees it, with why, on her own views (``owner_entries``). When this
    verification is the first to find it revoked, suspended or no longer trusted, the pool hides it from now on
    (``record_check``) and the page is not found either."""
    now = now or datetime.now(UTC)
    entities = current_index(db).of_kinds(Competence)
    with db.session() as session:
        entry = session.scalar(select(PoolEntry).where(PoolEntry.id == entry_id, live_entries(now))
                               .options(selectinload(PoolEntry.competences), selectinload(PoolEntry.profile)))
        if entry is None:
            raise _gone(entry_id)
        credential, profile = entry.credential, entry.profile
        data: dict[str, Any] = {
            "entry": entry.id, "title": entry.title, "issuer": entry.issuer,
            "issuer_name": entry.issuer_name or entry.issuer, "published_at": entry.published_at.isoformat(),
            "holder_proof": entry.holder_proof, "holder_did": entry.holder_did, "listed": True,
            "profile": {"handle": profile.handle, "display_name": profile.display_name,
                        "wiki_username": proven_username(profile)},
            "competences": [{"competence": c.competence_key, "level": c.level,
                             "label": entities[c.competence_key].label(lang) if c.competence_key in entities
                             else c.competence_key,
                             "wikidata": getattr(entities.get(c.competence_key), "wikidata", None)}
                            for c in entry.competences],
        }
    verdict = verifier(credential)
    if not record_check(db, entry_id, verdict, now):
        raise _gone(entry_id)
    data["verification"] = {"checked_at": now.isoformat(), "outcome": verdict.outcome, "verified": verdict.verified,
                            "checks": [c.as_dict() for c in verdict.checks]}
    return data


# --- What only the owner sees -------------------------------------------------------------------------------------

#: why the pool does not show an entry, most telling first (the owner's views word each one)
HIDDEN_BECAUSE = ("revoked", "expired", "suspended", "untrusted", "invalid")



def _why_hidden(state: str, valid_until: datetime | None, revoked: bool | None, suspended: bool | None,
                now: datetime) -> str:
    """revoked and expired leave the pool at the next re-check; suspended, untrusted and invalid stay hidden and
    come back if they verify again (``service.recheck``)."""
    if revoked:
        return "revoked"
    if valid_until is not None and aware(valid_until) <= now:
        return "expired"
    if suspended or state == "suspended":
        return "suspended"
    return "untrusted" if state == "untrusted" else "invalid"


def owner_entries(db: Database, handle: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every credential published on the profile, for its owner only (the caller checked the management token or
    the wiki session): ``listed`` as the public sees it, and for one that is not, ``hidden_because`` (one of
    ``HIDDEN_BECAUSE``)."""
    now = now or datetime.now(UTC)
    with db.session() as session:
        profile_id = session.scalar(select(PoolProfile.id).where(PoolProfile.handle == handle))
        if profile_id is None:
            raise NotFound("no pool profile '%(handle)s'", params={"handle": handle})
        live = set(session.scalars(select(PoolEntry.id).where(PoolEntry.profile_id == profile_id,
                                                              live_entries(now))))
        rows = session.execute(
            select(PoolEntry.id, PoolEntry.title, PoolEntry.issuer, PoolEntry.issuer_name, PoolEntry.state,
                   PoolEntry.valid_until, PoolEntry.published_at, PoolEntry.checked_at,
                   IssuedCredentialRow.revoked, IssuedCredentialRow.suspended)
            .outerjoin(IssuedCredentialRow, IssuedCredentialRow.id == PoolEntry.local_credential_id)
            .where(PoolEntry.profile_id == profile_id).order_by(PoolEntry.id)).all()
    return [{"id": r.id, "title": r.title, "issuer_name": r.issuer_name or r.issuer, "listed": r.id in live,
             "hidden_because": None if r.id in live else _why_hidden(r.state, r.valid_until, r.revoked,
                                                                      r.suspended, now),
             "published_at": r.published_at.isoformat(),
             "checked_at": r.checked_at.isoformat() if r.checked_at else None,
             "evidence": f"/pool/evidence/{r.id}" if r.id in live else None} for r in rows]


def hidden_entries(db: Database, handle: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """The profile's credentials the pool does not show, with why (for its owner only)."""
    return [e for e in owner_entries(db, handle, now) if not e["listed"]]


def unpublish_by_wiki_account(db: Database, *, handle: str, wiki_sub: str, entry_id: int) -> None:
    """Unpublish for the person signed in with the wiki account the profile proved ("My certificates"), shown or
    hidden alike."""
    with db.session() as session:
        entry = session.scalar(select(PoolEntry).join(PoolProfile).where(
            PoolEntry.id == entry_id, PoolProfile.handle == handle, PoolProfile.wiki_sub == wiki_sub))
        if entry is None:
            raise NotFound("profile '%(handle)s' has no published credential %(entry_id)s",
                           params={"handle": handle, "entry_id": entry_id})
        session.delete(entry)


def capx_badges(db: Database, username: str, base_url: str) -> dict[str, Any]:
    """The live pool entries of the profile whose wiki username a Wikimedia login proved, in the shape CapX's
    learn.wiki importer already reads (``results[].badge_class``, ``assertion_url``, ``created``), plus the skill's
    Wikidata item and level (docs/capx.md, the proposal). Nothing for a username no login proved."""
    with db.session() as session:
        handle = session.scalar(select(PoolProfile.handle).where(PoolProfile.wiki_username == username,
                                                                  PoolProfile.wiki_verified_at.is_not(None),
                                                                  PoolProfile.wiki_sub.is_not(None)))
    if handle is None:
        return {"count": 0, "results": []}
    view = profile_view(db, handle)
    base = base_url.rstrip("/")
    results = [{"badge_class": {"display_name": cred["title"], "description": f"Issued by {cred['issuer_name']}"},
                "image_url": None, "assertion_url": f"{base}{cred['evidence']}", "created": cred["verified_at"],
                "skills": [{"skill_wikidata_item": c["wikidata"], "competence": c["competence"],
                            "label": c["label"], "level": c["level"]} for c in cred["competences"]],
                "verification": {"state": cred["state"], "verified_at": cred["verified_at"],
                                 "holder_proof": cred["holder_proof"]}}
               for cred in view["credentials"]]
    return {"count": len(results), "results": results}
