"""What an instructor can pick in deep linking: credential designs with the assessments that grade them.

Custom parameters and line items follow the course outline (``bridge/courses``): ``leads_design``,
``leads_assessment``, ``leads_action=claim``; resourceId = the assessment key, tag = the (part) design key.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.dataspace.api import Assessment, CredentialDesign, EntityBase, current_index
from bridge.db import Database
from bridge.errors import NotFound


@dataclass(frozen=True)
class AssessmentChoice:
    key: str
    label: str
    design: str  # the micro-credential (part) the assessment belongs to: the line item's tag
    passing_threshold: float | None
    design_label: str = ""  # what instructors read instead of the key


@dataclass(frozen=True)
class DesignChoice:
    key: str
    label: str
    description: str
    ects: float | None
    eqf_level: int | None
    assessments: tuple[AssessmentChoice, ...]
    is_stack: bool


def _assessments(design: CredentialDesign, by_key: dict[str, EntityBase], seen: set[str],
                 lang: str = "en") -> list[AssessmentChoice]:
    if design.key in seen:  # a cycle is a data error reported by validation; never loop here
        return []
    seen.add(design.key)
    out: list[AssessmentChoice] = []
    for ref in sorted(design.has_part, key=lambda r: (r.order is None, r.order or 0)):
        part = by_key.get(ref.key)
        if isinstance(part, CredentialDesign):
            out += _assessments(part, by_key, seen, lang)
    for key in design.assessed_by:
        a = by_key.get(key)
        if isinstance(a, Assessment):
            out.append(AssessmentChoice(a.key, a.label(lang), design.key, a.passing_threshold, design.label(lang)))
    return out


def _choice(design: CredentialDesign, by_key: dict[str, EntityBase], lang: str = "en") -> DesignChoice:
    return DesignChoice(design.key, design.label(lang), design.description(lang), design.ects, design.eqf_level,
                        tuple(_assessments(design, by_key, set(), lang)), design.is_stack)


def _matches(design: CredentialDesign, q: str, lang: str) -> bool:
    """``q`` in the key, or in the label or description in the reader's language or in English."""
    words = (design.label(lang), design.description(lang), design.label(), design.description())
    return not q or q in design.key or any(q in w.lower() for w in words)


def designs(db: Database, query: str = "", lang: str = "en") -> list[DesignChoice]:
    """Designs whose key, label or description contains ``query`` (case-insensitive); stacks first; named in
    ``lang`` where the data space has it."""
    by_key = current_index(db).of_kinds(CredentialDesign, Assessment)
    q = query.strip().lower()
    found = [_choice(d, by_key, lang) for d in by_key.values() if isinstance(d, CredentialDesign)
             and _matches(d, q, lang)]
    return sorted(found, key=lambda c: (not c.is_stack, c.label.lower()))


def design(db: Database, key: str, lang: str = "en") -> DesignChoice:
    by_key = current_index(db).of_kinds(CredentialDesign, Assessment)
    found = by_key.get(key)
    if not isinstance(found, CredentialDesign):
        raise NotFound("no credential design %(key)s in the data space; pick one from the list",
                       code="design_not_found", params={"key": repr(key)})
    return _choice(found, by_key, lang)
