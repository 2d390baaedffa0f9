"""What the pool shows outside itself: the Capacity Exchange export, the badge feed CapX's importer can read, and the
public evidence page of a published credential (verified again at each request)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bridge.dataspace.api import Competence, current_index
from bridge.db import Database
from bridge.errors import NotFound
from bridge.pool.service import Verifier, live_entries, profile_view, proven_username
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


def evidence_view(db: Database, verifier: Verifier, entry_id: int, now: datetime | None = None) -> dict[str, Any]:
    """A published credential as public evidence: who shows it, its competences and levels, and a verification run
    now (not a stored verdict)."""
    now = now or datetime.now(UTC)
    entities = current_index(db).of_kinds(Competence)
    with db.session() as session:
        entry = session.scalar(select(PoolEntry).where(PoolEntry.id == entry_id)
                               .options(selectinload(PoolEntry.competences), selectinload(PoolEntry.profile)))
        if entry is None:
            raise NotFound("no published credential %(entry_id)s: it was unpublished, or it left the pool when it was "
                           "revoked or expired", code="evidence_gone", params={"entry_id": entry_id})
        listed = session.scalar(select(PoolEntry.id).where(PoolEntry.id == entry_id, live_entries(now))) is not None
        credential, profile = entry.credential, entry.profile
        data: dict[str, Any] = {
            "entry": entry.id, "title": entry.title, "issuer": entry.issuer,
            "issuer_name": entry.issuer_name or entry.issuer, "published_at": entry.published_at.isoformat(),
            "holder_proof": entry.holder_proof, "holder_did": entry.holder_did, "listed": listed,
            "profile": {"handle": profile.handle, "display_name": profile.display_name,
                        "wiki_username": proven_username(profile)},
            "competences": [{"competence": c.competence_key, "level": c.level,
                             "label": entities[c.competence_key].label() if c.competence_key in entities
                             else c.competence_key,
                             "wikidata": getattr(entities.get(c.competence_key), "wikidata", None)}
                            for c in entry.competences],
        }
    verdict = verifier(credential)
    data["verification"] = {"checked_at": now.isoformat(), "outcome": verdict.outcome, "verified": verdict.verified,
                            "checks": [{"name": c.name, "ok": c.ok, "message": c.message} for c in verdict.checks]}
    return data


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
