"""Cat's map: for one practice, the competences a learner holds (level, from which credential), those she lacks, and
for each gap the credential designs and courses that close it, smallest step first.

Only credentials that verify as ``/verify`` verifies them *and* come from an issuer LEADS trusts count as held; the
others are listed as not counted, with the reason. Pure functions over the data space and verification reports:
nothing here stores anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bridge.dataspace.api import Activity, Competence, Course, CredentialDesign, EntityBase, Practice
from bridge.pool.api import achievements, design_evidence, evidence
from issuer.verify.report import VerificationReport

_n = str  # marks msgids; the page translates them
NOT_GENUINE = _n("it does not verify (the verification page says why)")
NOT_TRUSTED = _n("its issuer is not one LEADS trusts")


@dataclass(frozen=True)
class Presented:
    name: str
    counted: bool
    reason: str  # why it does not count ("" when it does)
    evidence: tuple[tuple[str, int | None], ...]  # (competence key, level)


NAME_SHOWN = 200  # characters of a credential's name the map shows (and keeps, when shared): anyone may send any


def presented(document: dict[str, Any] | str, report: VerificationReport, entities: Mapping[str, EntityBase],
              entity_base: str) -> Presented:
    doc = report.credential or (document if isinstance(document, dict) else {})
    names = [a.name for a in achievements(doc) if a.name]
    name = (names[0] if names else str(doc.get("name") or "?"))[:NAME_SHOWN]
    if not report.genuine:
        return Presented(name, False, NOT_GENUINE, ())
    if report.trust is None or not report.trust.trusted:
        return Presented(name, False, NOT_TRUSTED, ())
    found = tuple((e.competence, e.level) for e in evidence(doc, entities, entity_base))
    return Presented(name, True, "", found)


def _practice_competences(practice: Practice, entities: Mapping[str, EntityBase]) -> list[Competence]:
    inside = {practice.key} | {r.key for r in practice.has_part}
    inside |= {k for k, e in entities.items() if isinstance(e, Activity) and e.part_of in inside}
    comps = [e for e in entities.values() if isinstance(e, Competence) and e.part_of in inside]
    for act in (e for e in entities.values() if isinstance(e, Activity) and e.key in inside):
        for req in act.requires:
            c = entities.get(req.key)
            if isinstance(c, Competence) and c not in comps:
                comps.append(c)
    order = {r.key: r.order or 0 for r in practice.has_part}
    return sorted(comps, key=lambda c: (order.get(c.part_of or "", 0), c.label().lower()))


def _routes(comp: Competence, entities: Mapping[str, EntityBase], lang: str) -> list[dict[str, Any]]:
    """Designs that certify ``comp``, micro-credentials first, then by ECTS and name; each with its courses."""
    designs = [e for e in entities.values() if isinstance(e, CredentialDesign)
               and any(ev.competence == comp.key for ev in design_evidence(e, entities, set()))]
    designs.sort(key=lambda d: (d.is_stack, d.ects if d.ects is not None else 1e9, d.label(lang).lower()))
    out = []
    for d in designs:
        courses = [c for c in entities.values() if isinstance(c, Course) and c.design == d.key]
        out.append({"key": d.key, "label": d.label(lang), "ects": d.ects, "eqf": d.eqf_level, "stacked": d.is_stack,
                    "href": f"/designs/{d.key}",
                    "courses": [{"key": c.key, "label": c.label(lang), "url": c.url or f"/courses/{c.key}"}
                                for c in sorted(courses, key=lambda c: c.label(lang).lower())]})
    return out


def build(practice_key: str, entities: Mapping[str, EntityBase], shown: list[Presented], lang: str,
          level_name: Callable[[Competence, int | None], str]) -> dict[str, Any]:
    """The map as plain data (rendered as HTML, sent as JSON, or kept when she shares it)."""
    practice = entities.get(practice_key)
    if not isinstance(practice, Practice):
        raise KeyError(practice_key)
    best: dict[str, tuple[int | None, str]] = {}
    for p in shown:
        for key, level in p.evidence if p.counted else ():
            old = best.get(key)
            if old is None or (level or 0) > (old[0] or 0):
                best[key] = (level, p.name)
    held, missing = [], []
    for comp in _practice_competences(practice, entities):
        row: dict[str, Any] = {"key": comp.key, "label": comp.label(lang), "href": f"/competences/{comp.key}",
                               "pool": f"/pool/competences/{comp.key}"}
        if comp.key in best:
            level, source = best[comp.key]
            held.append({**row, "level": level, "level_name": level_name(comp, level), "from": source})
        else:
            missing.append({**row, "routes": _routes(comp, entities, lang)})
    return {"practice": {"key": practice.key, "label": practice.label(lang), "href": f"/practices/{practice.key}"},
            "held": held, "missing": missing,
            "credentials": [{"name": p.name, "counted": p.counted, "reason": p.reason} for p in shown]}
