"""Page data for the data-space pages: one plain, JSON-ready dict per page, rendered as HTML or sent as JSON.

Pure functions of an ``Index`` and a ``ViewContext``: the HTML page and the JSON answer of a URL are the same
data, so what a script reads is what a person sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeVar

from bridge.dataspace.model import (
    Activity,
    Assessment,
    Competence,
    CompetenceRequirement,
    Course,
    CredentialDesign,
    EntityBase,
    Kind,
    LearningOutcome,
    Practice,
)
from bridge.dataspace.queries import Index
from bridge.errors import NotFound
from bridge.web.negotiate import weighted

UI_LANGS = ("en", "es")
PAGE_PATHS: dict[Kind, str] = {
    Kind.PRACTICE: "/practices/",
    Kind.COMPETENCE: "/competences/",
    Kind.CREDENTIAL_DESIGN: "/designs/",
    Kind.COURSE: "/courses/",
}
T = TypeVar("T", bound=EntityBase)


def choose_lang(query_lang: str | None, accept_language: str | None) -> str:
    """``?lang=`` first, then the best-rated supported language of ``Accept-Language``, else English."""
    if query_lang and query_lang.lower() in UI_LANGS:
        return query_lang.lower()
    ranked = [(-q, i, tag.split("-")[0]) for i, (tag, q) in enumerate(weighted(accept_language or ""))
              if tag.split("-")[0] in UI_LANGS and q > 0]
    return sorted(ranked)[0][2] if ranked else "en"


@dataclass(frozen=True)
class ViewContext:
    lang: str
    base_url: str
    entity_base: str
    own_entity_base: bool = True

    def uri(self, entity: EntityBase) -> str:
        """The entity's URI: its Wikibase concept URI when there is one, else this service's /entity/ URL."""
        if not self.own_entity_base and entity.wikibase_id:
            return self.entity_base + entity.wikibase_id
        return f"{self.base_url.rstrip('/')}/entity/{entity.key}"


def page_path(entity: EntityBase) -> str:
    prefix = PAGE_PATHS.get(Kind(entity.kind))
    return prefix + entity.key if prefix else f"/entity/{entity.key}"


def _text(values: dict[str, str], lang: str) -> tuple[str, str]:
    for candidate in (lang, "en", *values):
        if values.get(candidate):
            return values[candidate], candidate
    return "", lang


def summary(entity: EntityBase, ctx: ViewContext) -> dict[str, Any]:
    """What every mention of an entity carries: key, kind, label (with its language), links."""
    label, label_lang = _text(entity.labels, ctx.lang)
    description, description_lang = _text(entity.descriptions, ctx.lang)
    return {
        "key": entity.key,
        "kind": Kind(entity.kind).value,
        "label": label or entity.key,
        "label_lang": label_lang,
        "description": description,
        "description_lang": description_lang,
        "href": page_path(entity),
        "uri": ctx.uri(entity),
        "wikibase_id": entity.wikibase_id,
    }


def safe_url(url: str | None) -> str | None:
    """Only http(s) URLs become links (a design set is input; no ``javascript:`` in our pages)."""
    return url if url and url.lower().startswith(("http://", "https://")) else None


def external_links(entity: EntityBase) -> list[dict[str, str]]:
    links: list[dict[str, str]] = []
    if entity.wikidata and re.fullmatch(r"Q[1-9][0-9]*", entity.wikidata):
        links.append({"kind": "wikidata", "label": f"Wikidata {entity.wikidata}",
                      "url": f"https://www.wikidata.org/wiki/{entity.wikidata}"})
    esco = safe_url(getattr(entity, "esco", None))
    if esco:
        links.append({"kind": "esco", "label": "ESCO", "url": esco})
    capx = getattr(entity, "capx_skill", None)
    if capx:
        links.append({"kind": "capx", "label": f"Capacity Exchange skill {capx}", "url": ""})
    return links


def _level(index: Index, req: CompetenceRequirement, ctx: ViewContext) -> dict[str, Any]:
    competence = index.get(req.key, Competence)
    name = ""
    if competence and req.level is not None:
        for lv in competence.levels:
            if lv.number == req.level:
                name = _text(lv.labels, ctx.lang)[0]
    out: dict[str, Any] = {"level": req.level, "level_label": name}
    out["competence"] = summary(competence, ctx) if competence else {"key": req.key, "label": req.key, "href": ""}
    return out


def _levels(competence: Competence, ctx: ViewContext) -> list[dict[str, Any]]:
    return [{"number": lv.number, "label": _text(lv.labels, ctx.lang)[0]} for lv in competence.levels]


def design_brief(index: Index, design: CredentialDesign, ctx: ViewContext) -> dict[str, Any]:
    return {
        **summary(design, ctx),
        "ects": design.ects,
        "eqf_level": design.eqf_level,
        "language": design.language,
        "is_stack": design.is_stack,
        "parts": [{**summary(p, ctx), "order": ref.order, "ects": getattr(p, "ects", None)}
                  for ref, p in index.parts(design)],
        "part_of": [summary(s, ctx) for s in index.stacks_containing(design.key)],
        "competences": index.competences_of_design(design),
    }


def course_brief(index: Index, course: Course, ctx: ViewContext) -> dict[str, Any]:
    design = index.get(course.design, CredentialDesign)
    return {**summary(course, ctx), "url": safe_url(course.url), "lms": course.lms, "language": course.language,
            "design": summary(design, ctx) if design else None}


def list_practices(index: Index, ctx: ViewContext) -> dict[str, Any]:
    return {"lang": ctx.lang, "practices": [summary(p, ctx) for p in index.all(Practice)]}


def practice_page(index: Index, key: str, ctx: ViewContext) -> dict[str, Any]:
    practice = index.get(key, Practice)
    if practice is None:
        raise NotFound("There is no practice with the key '%(key)s'; see /practices for the list",
                       code="practice_not_found", params={"key": key})
    activities = _activities(index, practice)
    competence_keys: dict[str, None] = {}
    for activity in activities:
        competence_keys.update((r.key, None) for r in activity.requires)
    competence_keys.update((c.key, None) for c in index.all(Competence) if _in(index, c, practice))
    designs = _stack_order(index, [d for d in index.all(CredentialDesign) if _in(index, d, practice)])
    courses = [c for c in index.all(Course) if c.design in {d.key for d in designs}]

    competences = []
    for ck in competence_keys:
        competence = index.get(ck, Competence)
        if competence is None:
            continue
        reqs = [(a, r) for a in activities for r in a.requires if r.key == ck]
        top = max((r for _, r in reqs if r.level is not None), key=lambda r: r.level or 0, default=None)
        competences.append({
            **summary(competence, ctx),
            "levels": _levels(competence, ctx),
            "required": _level(index, top, ctx) if top else None,
            "required_by": [summary(a, ctx) for a, _ in reqs],
        })
    return {
        "lang": ctx.lang,
        "practice": {**summary(practice, ctx), "links": external_links(practice)},
        "activities": [
            {**summary(a, ctx), "order": n, "requires": [_level(index, r, ctx) for r in a.requires]}
            for n, a in enumerate(activities, start=1)
        ],
        "competences": competences,
        "designs": [design_brief(index, d, ctx) for d in designs],
        "courses": [course_brief(index, c, ctx) for c in courses],
        "map": f"/practices/{practice.key}/map.svg",
    }


def _stack_order(index: Index, designs: list[CredentialDesign]) -> list[CredentialDesign]:
    """Largest stacks first, each followed by its parts in their order, then the designs in no stack."""
    keys = {d.key for d in designs}
    roots = [d for d in designs if not any(s.key in keys for s in index.stacks_containing(d.key))]
    roots.sort(key=lambda d: (-index.stack_depth(d), d.key))
    out: dict[str, CredentialDesign] = {}

    def walk(design: CredentialDesign) -> None:
        if design.key in out:
            return
        out[design.key] = design
        for _, part in index.parts(design):
            if isinstance(part, CredentialDesign) and part.key in keys:
                walk(part)

    for root in roots:
        walk(root)
    for d in designs:  # designs caught in a cycle have no root; keep them visible
        out.setdefault(d.key, d)
    return list(out.values())


def _activities(index: Index, practice: Practice) -> list[Activity]:
    """Activities in their order (depth-first through sub-activities), then any that only say ``part of``."""
    found: list[Activity] = []

    def walk(parent: Practice | Activity) -> None:
        for _, part in index.parts(parent):
            if isinstance(part, Activity) and part not in found:
                found.append(part)
                walk(part)

    walk(practice)
    found += [a for a in index.all(Activity) if a.part_of == practice.key and a not in found]
    return found


def _in(index: Index, entity: EntityBase, practice: Practice) -> bool:
    owner = index.practice_of(entity)
    return owner is not None and owner.key == practice.key


def competence_page(index: Index, key: str, ctx: ViewContext) -> dict[str, Any]:
    competence = index.get(key, Competence)
    if competence is None:
        raise NotFound("There is no competence with the key '%(key)s'", code="competence_not_found",
                       params={"key": key})
    designs = index.designs_for_competence(key)
    stacks = [s for d in designs for s in index.stacks_containing(d.key)]
    leading = _unique([*designs, *stacks])
    courses = _unique([c for d in leading for c in index.courses_for_design(d.key)])
    practice = index.practice_of(competence)
    activities = [a for a in index.all(Activity) if any(r.key == key for r in a.requires)]
    return {
        "lang": ctx.lang,
        "competence": {**summary(competence, ctx), "links": external_links(competence)},
        "practice": summary(practice, ctx) if practice else None,
        "levels": _levels(competence, ctx),
        "outcomes": [{**summary(o, ctx), **_level(index, o.competence, ctx)}
                     for o in index.outcomes_of_competence(key) if o.competence],
        "activities": [{**summary(a, ctx), **_level(index, next(r for r in a.requires if r.key == key), ctx)}
                       for a in activities],
        "designs": [design_brief(index, d, ctx) for d in leading],
        "holders_url": f"/pool/competences/{key}?lang={ctx.lang}",
        "courses": [course_brief(index, c, ctx) for c in courses],
    }


def _unique(entities: list[T]) -> list[T]:
    """First occurrence of each key (pydantic entities are not hashable)."""
    seen: dict[str, T] = {}
    for e in entities:
        seen.setdefault(e.key, e)
    return list(seen.values())


def design_page(index: Index, key: str, ctx: ViewContext) -> dict[str, Any]:
    design = index.get(key, CredentialDesign)
    if design is None:
        raise NotFound("There is no credential design with the key '%(key)s'", code="design_not_found",
                       params={"key": key})
    outcomes = [o for k in design.outcomes if (o := index.get(k, LearningOutcome))]
    assessments = [a for k in design.assessed_by if (a := index.get(k, Assessment))]
    parts = [p for _ref, p in index.parts(design) if isinstance(p, CredentialDesign)]
    part_assessments = [(p, a) for p in parts for k in p.assessed_by if (a := index.get(k, Assessment))]
    stacks = index.stacks_containing(design.key)
    courses: list[tuple[Course, CredentialDesign | None]] = [(c, None) for c in index.courses_for_design(key)]
    courses += [(c, s) for s in stacks for c in index.courses_for_design(s.key)]  # lead to it through a stack
    practice = index.practice_of(design)
    parts_ects = [p.get("ects") for p in design_brief(index, design, ctx)["parts"]]
    return {
        "lang": ctx.lang,
        "design": {**design_brief(index, design, ctx), "links": external_links(design)},
        "practice": summary(practice, ctx) if practice else None,
        "parts_ects": sum(e or 0 for e in parts_ects) if parts_ects else None,
        "requires": [_level(index, r, ctx) for r in design.requires],
        "outcomes": [{**summary(o, ctx), "competence": _level(index, o.competence, ctx) if o.competence else None}
                     for o in outcomes],
        "assessments": [{**summary(a, ctx), "passing_threshold": a.passing_threshold,
                         "assesses": [summary(o, ctx) for k in a.assesses if (o := index.get(k, LearningOutcome))],
                         "through": summary(part, ctx) if part else None}
                        for part, a in [(None, a) for a in assessments] + part_assessments],
        "courses": [{**course_brief(index, c, ctx), "through": summary(s, ctx) if s else None}
                    for c, s in courses],
    }


def course_page(index: Index, key: str, ctx: ViewContext) -> dict[str, Any]:
    course = index.get(key, Course)
    if course is None:
        raise NotFound("There is no course with the key '%(key)s'", code="course_not_found", params={"key": key})
    design = index.get(course.design, CredentialDesign)
    practice = index.practice_of(course)
    return {
        "lang": ctx.lang,
        "course": course_brief(index, course, ctx),
        "practice": summary(practice, ctx) if practice else None,
        "design": design_brief(index, design, ctx) if design else None,
        "outcomes": [summary(o, ctx) for k in (design.outcomes if design else [])
                     if (o := index.get(k, LearningOutcome))],
    }


def entity_location(index: Index, key: str) -> str:
    """Where the page about an entity is: its own page, or the section of the page that shows it."""
    entity = index.by_key.get(key)
    if entity is None:
        raise NotFound("There is no entity with the key '%(key)s'", code="entity_not_found", params={"key": key})
    if Kind(entity.kind) in PAGE_PATHS:
        return page_path(entity)
    container: EntityBase | None = None
    if isinstance(entity, Activity):
        container = index.practice_of(entity)
    elif isinstance(entity, LearningOutcome):
        container = index.get(entity.competence.key, Competence) if entity.competence else None
        container = container or next(iter(index.designs_with("outcomes", key)), None)
    elif isinstance(entity, Assessment):
        container = next(iter(index.designs_with("assessed_by", key)), None)
    if container is None:
        raise NotFound("'%(key)s' (%(kind)s) is not shown on any page yet: nothing links it to a practice, competence "
                       "or credential design", code="entity_unplaced", params={"key": key, "kind": entity.kind})
    return f"{page_path(container)}#{key}"
