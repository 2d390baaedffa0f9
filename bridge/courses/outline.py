"""Course outline: what a credential design becomes in any LMS, as one pure, LMS-neutral structure.

The Moodle backup and the Open edX OLX are both renderings of this outline, so the mapping from a design
to a course (sections, outcomes, graded LTI links, thresholds) is decided and tested once, here.

Mapping (docs/courses.md explains it for instructors):
- a section per micro-credential of the stack, in stack order (a design without parts is its own only part),
  followed by a section per competence the micro-credential requires (in the order the design lists them);
- learning outcomes go into the section summaries (micro-credential: all of its outcomes; competence: the
  outcomes that develop that competence);
- an LTI 1.3 link back to LEADS per assessment, with its line item (max 100, passing threshold); it sits in the
  last competence section of its part whose outcomes it assesses (else in the micro-credential section);
- a final section with the design's own outcomes and assessments and a "claim your certificate" link.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bridge.courses.competencies import CompetencyFramework, frameworks_for
from bridge.dataspace.api import (
    Assessment,
    Competence,
    CredentialDesign,
    EntityBase,
    LearningOutcome,
)
from bridge.errors import NotFound, Problem, ValidationFailed

MAX_SCORE = 100.0


@dataclass(frozen=True)
class LtiEndpoints:
    """Where the LMS sends the OIDC login and the launch, and where it fetches the tool's keys."""

    launch_url: str
    login_url: str
    keyset_url: str

    @classmethod
    def from_base(cls, base_url: str) -> LtiEndpoints:
        base = base_url.rstrip("/")
        return cls(launch_url=f"{base}/lti/launch", login_url=f"{base}/lti/login", keyset_url=f"{base}/lti/jwks")

    @property
    def tool_domain(self) -> str:
        return self.launch_url.split("://", 1)[-1].split("/", 1)[0]


@dataclass(frozen=True)
class LineItem:
    """The AGS line item the LMS keeps for the link (label, maximum, and LEADS ids as resourceId/tag)."""

    label: str
    score_maximum: float
    resource_id: str
    tag: str


@dataclass(frozen=True)
class Activity:
    """One LTI resource link back to LEADS: graded (an assessment) or not (the certificate claim)."""

    key: str
    title: str
    description: str
    custom: tuple[tuple[str, str], ...]
    line_item: LineItem | None = None
    passing_threshold: float | None = None  # percent of the maximum score
    outcomes: tuple[str, ...] = ()

    @property
    def graded(self) -> bool:
        return self.line_item is not None

    @property
    def passing_grade(self) -> float:
        """Points needed to pass (gradepass in Moodle), from the threshold in percent."""
        if self.line_item is None or self.passing_threshold is None:
            return 0.0
        return round(self.line_item.score_maximum * self.passing_threshold / 100.0, 5)

    def custom_lines(self) -> list[str]:
        return [f"{k}={v}" for k, v in self.custom]


@dataclass(frozen=True)
class Section:
    key: str
    kind: str  # "micro-credential" | "competence" | "claim"
    title: str
    summary: str
    outcomes: tuple[str, ...]
    part: str  # key of the micro-credential (or the design itself) the section belongs to
    activities: tuple[Activity, ...] = ()


@dataclass(frozen=True)
class Part:
    """A micro-credential of the stack: its weight in the course grade comes from its ECTS."""

    key: str
    title: str
    short_label: str
    ects: float | None
    weight: float


@dataclass(frozen=True)
class CourseOutline:
    design_key: str
    title: str
    short_name: str
    summary: str
    language: str
    ects: float | None
    eqf_level: int | None
    lti: LtiEndpoints
    parts: tuple[Part, ...]
    sections: tuple[Section, ...] = field(default_factory=tuple)
    frameworks: tuple[CompetencyFramework, ...] = ()  # the competences, as LMS competency frameworks
    complete_competencies: bool = False  # completing the course (an activity) completes its competencies

    @property
    def activities(self) -> list[Activity]:
        return [a for s in self.sections for a in s.activities]

    @property
    def graded_activities(self) -> list[Activity]:
        return [a for a in self.activities if a.graded]

    def pass_cutoff(self) -> float:
        """Course-level pass mark (0-1): the weighted mean of the assessments' thresholds (by part weight)."""
        total = 0.0
        weight_sum = 0.0
        for part in self.parts:
            items = [a for s in self.sections if s.part == part.key for a in s.activities if a.graded]
            for a in items:
                w = part.weight / len(items)
                total += w * (a.passing_threshold if a.passing_threshold is not None else 0.0)
                weight_sum += w
        return round(total / weight_sum / 100.0, 2) if weight_sum else 0.0


def _get(entities: Mapping[str, EntityBase], key: str, cls: type[EntityBase], where: str) -> EntityBase:
    entity = entities.get(key)
    if entity is None:
        raise ValidationFailed(
            "design %(where)s refers to an entity that is not in the data space",
            [Problem(where, "reference", "'%(key)s' is missing; load or pull it first (leads data load / wikibase "
                     "pull)", {"key": key})], params={"where": where})
    if not isinstance(entity, cls):
        raise ValidationFailed(
            "design %(where)s refers to '%(key)s', which is not a %(name)s",
            [Problem(where, "reference", "'%(key)s' is a %(kind)s, expected %(wanted)s",
                     {"key": key, "kind": type(entity).__name__, "wanted": cls.__name__})],
            params={"where": where, "key": key, "name": cls.__name__})
    return entity


def _html_list(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{_esc(i)}</li>" for i in items) + "</ul>" if items else ""


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _level_label(competence: Competence, level: int | None, lang: str) -> str:
    for lv in competence.levels:
        if lv.number == level:
            return lv.labels.get(lang) or lv.labels.get("en") or str(level)
    return ""


def build_outline(design_key: str, entities: Mapping[str, EntityBase], base_url: str) -> CourseOutline:
    """The outline of the course that leads to ``design_key`` (pure: no I/O, same input → same output)."""
    design = entities.get(design_key)
    if design is None:
        raise NotFound("no credential design '%(design_key)s' in the data space; list them with `leads data list "
                       "--kind credential-design`", code="design_not_found", params={"design_key": design_key})
    if not isinstance(design, CredentialDesign):
        raise ValidationFailed("'%(design_key)s' is not a credential design",
                               [Problem(design_key, "kind", "is a %(kind)s; pick a credential design",
                                        {"kind": type(design).__name__})], params={"design_key": design_key})
    lang = design.language or "en"
    lti = LtiEndpoints.from_base(base_url)

    part_designs: list[CredentialDesign] = []
    for ref in sorted(design.has_part, key=lambda r: (r.order is None, r.order or 0)):
        part = _get(entities, ref.key, CredentialDesign, design_key)
        assert isinstance(part, CredentialDesign)
        part_designs.append(part)
    if not part_designs:
        part_designs = [design]

    total_ects = sum(p.ects or 0 for p in part_designs)
    parts: list[Part] = []
    sections: list[Section] = []
    for index, part_design in enumerate(part_designs, start=1):
        weight = (part_design.ects or 0) / total_ects if total_ects else 1 / len(part_designs)
        parts.append(Part(key=part_design.key, title=part_design.label(lang), short_label=f"MC{index}",
                          ects=part_design.ects, weight=round(weight, 4)))
        sections += _part_sections(part_design, entities, lang, lti)

    claim = _claim_section(design, entities, lang, is_stack=design.is_stack)
    sections.append(claim)
    if any(a.graded for a in claim.activities):  # a stack's own final assessments weigh like one more part
        parts.append(Part(key=design.key, title=design.label(lang), short_label="Final", ects=None,
                          weight=round(1 / (len(parts) + 1), 4)))
        scale = (1 - parts[-1].weight) / sum(p.weight for p in parts[:-1])
        parts[:-1] = [Part(p.key, p.title, p.short_label, p.ects, round(p.weight * scale, 4)) for p in parts[:-1]]
    summary = design.description(lang)
    facts = [f for f in (f"{design.ects:g} ECTS" if design.ects else "",
                         f"EQF level {design.eqf_level}" if design.eqf_level else "") if f]
    if facts:
        summary = f"{summary} ({', '.join(facts)})" if summary else ", ".join(facts)
    return CourseOutline(
        design_key=design.key, title=design.label(lang), short_name=design.key, summary=summary, language=lang,
        ects=design.ects, eqf_level=design.eqf_level, lti=lti, parts=tuple(parts), sections=tuple(sections),
        frameworks=frameworks_for(design, part_designs, entities, lang),
    )


def _assessment_activity(assessment: Assessment, part: CredentialDesign,
                         outcomes: dict[str, LearningOutcome], lang: str) -> Activity:
    labels = tuple(outcomes[k].label(lang) for k in assessment.assesses if k in outcomes)
    description = assessment.description(lang)
    if assessment.passing_threshold is not None:
        description = (description + " " if description else "") + f"Pass mark: {assessment.passing_threshold:g}%."
    return Activity(
        key=assessment.key, title=assessment.label(lang), description=description,
        custom=(("leads_assessment", assessment.key), ("leads_design", part.key)),
        line_item=LineItem(label=assessment.label(lang), score_maximum=MAX_SCORE, resource_id=assessment.key,
                           tag=part.key),
        passing_threshold=assessment.passing_threshold, outcomes=labels,
    )


def _part_sections(part: CredentialDesign, entities: Mapping[str, EntityBase], lang: str,
                   lti: LtiEndpoints) -> list[Section]:
    del lti  # the endpoints are course-wide; kept in the signature for symmetry with the renderers
    outcomes: dict[str, LearningOutcome] = {}
    for key in part.outcomes:
        lo = _get(entities, key, LearningOutcome, part.key)
        assert isinstance(lo, LearningOutcome)
        outcomes[key] = lo
    assessments: list[Assessment] = []
    for key in part.assessed_by:
        a = _get(entities, key, Assessment, part.key)
        assert isinstance(a, Assessment)
        assessments.append(a)
        for lo_key in a.assesses:  # outcomes an assessment names count even if the design forgot to list them
            if lo_key not in outcomes and isinstance(entities.get(lo_key), LearningOutcome):
                lo = entities[lo_key]
                assert isinstance(lo, LearningOutcome)
                outcomes[lo_key] = lo

    competence_keys = [r.key for r in part.requires]
    for lo in outcomes.values():
        if lo.competence and lo.competence.key not in competence_keys:
            competence_keys.append(lo.competence.key)
    levels = {r.key: r.level for r in part.requires}

    # Each assessment goes to the last competence section (in order) whose outcomes it assesses.
    placement: dict[str, list[Activity]] = {}
    for a in assessments:
        comps = [outcomes[k].competence.key for k in a.assesses  # type: ignore[union-attr]
                 if k in outcomes and outcomes[k].competence is not None]
        target = max(comps, key=competence_keys.index) if comps else part.key
        placement.setdefault(target, []).append(_assessment_activity(a, part, outcomes, lang))

    intro = part.description(lang)
    facts = ", ".join(f for f in (f"{part.ects:g} ECTS" if part.ects else "",
                                  f"EQF level {part.eqf_level}" if part.eqf_level else "") if f)
    all_outcomes = [lo.label(lang) for lo in outcomes.values()]
    summary = (f"<p>{_esc(intro)}</p>" if intro else "") + (f"<p>{_esc(facts)}</p>" if facts else "")
    if all_outcomes:
        summary += "<p>Learning outcomes:</p>" + _html_list(all_outcomes)
    sections = [Section(key=part.key, kind="micro-credential", title=part.label(lang), summary=summary,
                        outcomes=tuple(all_outcomes), part=part.key, activities=tuple(placement.get(part.key, [])))]
    for ckey in competence_keys:
        comp = _get(entities, ckey, Competence, part.key)
        assert isinstance(comp, Competence)
        comp_outcomes = [lo.label(lang) for lo in outcomes.values()
                         if lo.competence is not None and lo.competence.key == ckey]
        level = _level_label(comp, levels.get(ckey), lang)
        title = f"{comp.label(lang)} ({level})" if level else comp.label(lang)
        text = comp.description(lang)
        csummary = (f"<p>{_esc(text)}</p>" if text else "")
        if level:
            csummary += f"<p>Proficiency level: {_esc(level)}</p>"
        if comp_outcomes:
            csummary += "<p>Learning outcomes:</p>" + _html_list(comp_outcomes)
        sections.append(Section(key=f"{part.key}--{ckey}", kind="competence", title=title, summary=csummary,
                                outcomes=tuple(comp_outcomes), part=part.key,
                                activities=tuple(placement.get(ckey, []))))
    return sections


def _claim_section(design: CredentialDesign, entities: Mapping[str, EntityBase], lang: str,
                   is_stack: bool) -> Section:
    own_outcomes: list[str] = []
    for key in design.outcomes:
        lo = _get(entities, key, LearningOutcome, design.key)
        own_outcomes.append(lo.label(lang))
    activities: list[Activity] = []
    if is_stack:  # a single design's own assessments were already placed in its part sections
        outcome_map = {k: e for k, e in entities.items() if isinstance(e, LearningOutcome)}
        for key in design.assessed_by:
            a = _get(entities, key, Assessment, design.key)
            assert isinstance(a, Assessment)
            activities.append(_assessment_activity(a, design, outcome_map, lang))
    activities.append(Activity(
        key=f"{design.key}--claim", title=f"Claim your certificate: {design.label(lang)}",
        description="Once you have passed the assessments, claim your signed certificate from LEADS.",
        custom=(("leads_action", "claim"), ("leads_design", design.key)),
    ))
    summary = "<p>When every assessment above is passed, claim your certificate.</p>"
    if own_outcomes:
        summary += "<p>The certificate also attests:</p>" + _html_list(own_outcomes)
    return Section(key=f"{design.key}--claim", kind="claim", title="Your certificate", summary=summary,
                   outcomes=tuple(own_outcomes), part=design.key, activities=tuple(activities))


# what XML 1.0 cannot carry (C0 controls but tab and line ends, surrogates, U+FFFE and U+FFFF): the data space refuses
# them in terms (``dataspace.validate``); an export drops any that reach it, so that its files still parse
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(data: bytes) -> bytes:
    """Serialised XML (UTF-8) without the characters XML 1.0 forbids."""
    text = data.decode("utf-8", "surrogatepass")
    return _NOT_XML.sub("", text).encode("utf-8") if _NOT_XML.search(text) else data

