"""Which competences a credential evidences: pure functions over the credential JSON and the data space.

A LEADS credential names its design by entity URI (``{entity_base}{key}``); a credential of another issuer is
matched through its alignments (ESCO skill URI or Wikidata item) or an achievement id that is a competence URI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bridge.dataspace.api import Competence, CredentialDesign, EntityBase, LearningOutcome

WIKIDATA_QID = re.compile(r"^https?://(?:www\.)?wikidata\.org/(?:wiki|entity)/(Q[1-9][0-9]*)$")


@dataclass(frozen=True)
class Evidence:
    competence: str
    level: int | None
    design: str | None


@dataclass(frozen=True)
class Achievement:
    id: str | None
    name: str
    alignments: tuple[str, ...]


def achievements(credential: Mapping[str, Any]) -> list[Achievement]:
    """Achievements of an OB3 / VC 2.0 credential or an ELM European Digital Credential."""
    subjects = credential.get("credentialSubject")
    found: list[Achievement] = []
    for subject in subjects if isinstance(subjects, list) else [subjects]:
        if not isinstance(subject, dict):
            continue
        ach = subject.get("achievement")
        if isinstance(ach, dict):
            found.append(_achievement(ach, [a.get("targetUrl") for a in _list(ach.get("alignment"))]))
        for claim in _list(subject.get("hasClaim")):
            spec = claim.get("specifiedBy") if isinstance(claim, dict) else None
            for s in _list(spec):
                if isinstance(s, dict):
                    urls = [o.get("id") for o in _list(s.get("learningOutcome"))]
                    urls += [
                        _as_id(x) for o in _list(s.get("learningOutcome")) for x in _list(o.get("relatedESCOSkill"))
                    ]
                    found.append(_achievement(s, urls))
    return found


def _as_id(value: Any) -> str | None:
    return value.get("id") if isinstance(value, dict) else value if isinstance(value, str) else None


def _achievement(node: Mapping[str, Any], urls: list[Any]) -> Achievement:
    name = node.get("name") or node.get("title") or ""
    if isinstance(name, dict):
        name = name.get("en") or next(iter(name.values()), "")
    return Achievement(id=node.get("id"), name=str(name), alignments=tuple(u for u in urls if isinstance(u, str)))


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def evidence(credential: Mapping[str, Any], entities: Mapping[str, EntityBase], entity_base: str) -> list[Evidence]:
    """The competences (with levels) the credential backs; empty when it maps to nothing in this data space."""
    by_uri = {entity_base + key: e for key, e in entities.items()}
    by_alignment: dict[str, Competence] = {}
    for e in entities.values():
        if isinstance(e, Competence):
            if e.esco:
                by_alignment[e.esco] = e
            if e.wikidata:
                by_alignment[e.wikidata] = e
    result: dict[str, Evidence] = {}
    for ach in achievements(credential):
        target = by_uri.get(ach.id or "")
        if isinstance(target, CredentialDesign):
            for ev in design_evidence(target, entities, set()):
                _keep(result, ev)
            continue
        if isinstance(target, Competence):
            _keep(result, Evidence(target.key, None, None))
            continue
        for url in ach.alignments:
            m = WIKIDATA_QID.match(url)
            comp = by_alignment.get(m.group(1) if m else url)
            if comp is not None:
                _keep(result, Evidence(comp.key, None, None))
    return sorted(result.values(), key=lambda e: e.competence)


def _keep(result: dict[str, Evidence], ev: Evidence) -> None:
    old = result.get(ev.competence)
    if old is None or (ev.level or 0) > (old.level or 0):
        result[ev.competence] = ev


def design_evidence(design: CredentialDesign, entities: Mapping[str, EntityBase], seen: set[str]) -> Iterator[Evidence]:
    if design.key in seen:
        return
    seen.add(design.key)
    for req in design.requires:
        yield Evidence(req.key, req.level, design.key)
    for key in design.outcomes:
        outcome = entities.get(key)
        if isinstance(outcome, LearningOutcome) and outcome.competence:
            yield Evidence(outcome.competence.key, outcome.competence.level, design.key)
    for part in design.has_part:
        sub = entities.get(part.key)
        if isinstance(sub, CredentialDesign):
            yield from design_evidence(sub, entities, seen)
