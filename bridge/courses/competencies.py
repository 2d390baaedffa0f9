"""The competences a course develops, grouped as competency frameworks (one per practice), for LMSs that have
competencies (Moodle). Pure: derived from the data space, no I/O.

A framework carries the data space's proficiency scale (the competences' levels, e.g. Assists … Innovates); a
learner is proficient from the lowest level the design requires. Each competency knows the assessments that
assess it (through their learning outcomes), which become the activity links.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bridge.dataspace.api import (
    Assessment,
    Competence,
    CredentialDesign,
    EntityBase,
    LearningOutcome,
    Practice,
)

ID_PREFIX = "leads:"  # Moodle ID numbers of LEADS frameworks and competencies


@dataclass(frozen=True)
class CourseCompetency:
    key: str
    idnumber: str
    shortname: str
    description: str
    assessments: tuple[str, ...]  # keys of the assessments (graded activities) that assess it


@dataclass(frozen=True)
class CompetencyFramework:
    key: str  # the practice
    idnumber: str
    shortname: str
    description: str
    scale: tuple[str, ...]  # the proficiency levels, lowest first
    proficient_from: int  # 1-based position in ``scale`` from which a rating is proficient
    competencies: tuple[CourseCompetency, ...]

    @property
    def taxonomies(self) -> str:
        return "competency"  # one level: the competences of the practice


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def frameworks_for(design: CredentialDesign, parts: Sequence[CredentialDesign],
                   entities: Mapping[str, EntityBase], lang: str) -> tuple[CompetencyFramework, ...]:
    """Every competence the design and its parts require or assess, one framework per practice."""
    required: dict[str, int | None] = {}
    assessed: dict[str, list[str]] = {}
    designs = [*parts, *([] if any(p.key == design.key for p in parts) else [design])]
    for d in designs:
        for r in d.requires:
            level = required.get(r.key)
            required[r.key] = r.level if level is None else min(level, r.level or level)
        for a_key in d.assessed_by:
            assessment = entities.get(a_key)
            if not isinstance(assessment, Assessment):
                continue
            for lo_key in assessment.assesses:
                lo = entities.get(lo_key)
                if isinstance(lo, LearningOutcome) and lo.competence is not None:
                    required.setdefault(lo.competence.key, lo.competence.level)
                    keys = assessed.setdefault(lo.competence.key, [])
                    if a_key not in keys:
                        keys.append(a_key)
    by_practice: dict[str, list[Competence]] = {}
    for key in required:
        comp = entities.get(key)
        if isinstance(comp, Competence):
            by_practice.setdefault(comp.part_of or design.part_of or design.key, []).append(comp)
    frameworks = []
    for practice_key, comps in by_practice.items():
        practice = entities.get(practice_key)
        label = practice.label(lang) if isinstance(practice, Practice) else practice_key
        description = practice.description(lang) if isinstance(practice, Practice) else ""
        levels = sorted(comps[0].levels, key=lambda lv: lv.number)
        scale = tuple(lv.labels.get(lang) or lv.labels.get("en") or str(lv.number) for lv in levels)
        wanted = [level for c in comps if (level := required[c.key]) is not None]
        numbers = [lv.number for lv in levels]
        lowest = min(wanted) if wanted else numbers[0]
        proficient_from = next((i for i, n in enumerate(numbers, start=1) if n >= lowest), 1)
        frameworks.append(CompetencyFramework(
            key=practice_key, idnumber=f"{ID_PREFIX}{practice_key}", shortname=_short(label),
            description=description, scale=scale, proficient_from=proficient_from,
            competencies=tuple(CourseCompetency(key=c.key, idnumber=f"{ID_PREFIX}{c.key}",
                                                shortname=_short(c.label(lang)), description=c.description(lang),
                                                assessments=tuple(assessed.get(c.key, ())))
                               for c in comps)))
    return tuple(frameworks)
