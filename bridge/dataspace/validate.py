"""Checks a design set as a whole and lists every problem at once (entity, property, what to fix).

Besides the model's own rules, everything a Wikibase would refuse is caught here, before a push starts: term and
string lengths, label = description, URLs without a scheme, values of the wrong shape for their property, and two
items sharing label and description. Lengths count the text as the wiki stores it (trimmed, NFC).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from bridge.dataspace import normalize
from bridge.dataspace.model import (
    Activity,
    Assessment,
    Competence,
    Course,
    CredentialDesign,
    EntityBase,
    Kind,
    LearningOutcome,
    Practice,
)
from bridge.errors import Problem

REQUIRED_LABEL_LANG = "en"


def validate(entities: Mapping[str, EntityBase], *, known: Mapping[str, EntityBase] | None = None) -> list[Problem]:
    """Problems in ``entities``; references may also point into ``known`` (what is stored already)."""
    universe: dict[str, EntityBase] = {**(known or {}), **entities}
    problems: list[Problem] = []

    def ref(entity: EntityBase, prop: str, key: str | None, *kinds: Kind) -> None:
        _ref(problems, universe, entity, prop, key, *kinds)

    for entity in entities.values():
        if not entity.labels.get(REQUIRED_LABEL_LANG, "").strip():
            problems.append(Problem(entity.key, "label", f"has no '{REQUIRED_LABEL_LANG}' label; "
                                    "give every entity at least an English label"))
        if isinstance(entity, Practice):
            for part in entity.has_part:
                ref(entity, "has part", part.key, Kind.ACTIVITY, Kind.PRACTICE)
        elif isinstance(entity, Activity):
            ref(entity, "part of", entity.part_of, Kind.PRACTICE, Kind.ACTIVITY)
            for part in entity.has_part:
                ref(entity, "has part", part.key, Kind.ACTIVITY)
            for req in entity.requires:
                ref(entity, "requires competence", req.key, Kind.COMPETENCE)
                _check_level(problems, entity, req.key, req.level, universe)
        elif isinstance(entity, Competence):
            ref(entity, "part of", entity.part_of, Kind.PRACTICE, Kind.ACTIVITY)
            numbers = [lv.number for lv in entity.levels]
            if len(set(numbers)) != len(numbers):
                problems.append(Problem(entity.key, "proficiency level", "level numbers repeat; number them 1, 2, 3…"))
        elif isinstance(entity, LearningOutcome):
            if entity.competence:
                ref(entity, "requires competence", entity.competence.key, Kind.COMPETENCE)
                _check_level(problems, entity, entity.competence.key, entity.competence.level, universe)
        elif isinstance(entity, Assessment):
            t = entity.passing_threshold
            if t is not None and not 0 <= t <= 100:
                problems.append(Problem(entity.key, "passing threshold", f"is {t:g}; use a percentage from 0 to 100"))
            for key in entity.assesses:
                ref(entity, "learning outcome", key, Kind.LEARNING_OUTCOME)
        elif isinstance(entity, CredentialDesign):
            _check_design(problems, entity, universe)
        elif isinstance(entity, Course):
            ref(entity, "credential design", entity.design, Kind.CREDENTIAL_DESIGN)
            if entity.url is not None and not entity.url.startswith(("http://", "https://")):
                problems.append(Problem(entity.key, "course URL", f"'{entity.url}' is not an http(s) URL"))

    for entity in entities.values():
        problems.extend(wikibase_limits(entity))
    problems.extend(_same_terms(entities, universe))
    problems.extend(_stacking_cycles(entities, universe))
    return problems


_WIKIDATA_ID = re.compile(r"^Q[1-9][0-9]*$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


def wikibase_limits(entity: EntityBase) -> list[Problem]:
    """What a Wikibase would refuse in this entity, named by field (REL1_43 defaults)."""
    out: list[Problem] = []
    for field, terms in (("label", entity.labels), ("description", entity.descriptions)):
        for lang, value in terms.items():
            n = normalize.length(value)
            if n > normalize.TERM_MAX:
                out.append(Problem(entity.key, f"{field} ({lang})", f"is {n} characters long; Wikibase allows at "
                                   f"most {normalize.TERM_MAX}, so shorten it"))
    for lang, label in entity.labels.items():
        desc = entity.descriptions.get(lang)
        if desc is not None and normalize.text(desc) and normalize.text(desc) == normalize.text(label):
            out.append(Problem(entity.key, f"description ({lang})", "is the same as the label; Wikibase refuses "
                               "that, so say in other words what it is"))
    strings: list[tuple[str, str | None]] = []
    urls: list[tuple[str, str | None]] = []
    if entity.wikidata is not None and not _WIKIDATA_ID.match(normalize.text(entity.wikidata)):
        out.append(Problem(entity.key, "Wikidata item", f"'{entity.wikidata}' is not a Wikidata item id like Q42"))
    if isinstance(entity, Competence):
        strings += [(f"proficiency level {lv.number} ({lang})", text) for lv in entity.levels
                    for lang, text in lv.labels.items()]
        strings.append(("Capacity Exchange skill", entity.capx_skill))
        urls.append(("ESCO skill", entity.esco))
    elif isinstance(entity, LearningOutcome | CredentialDesign):
        urls.append(("ESCO skill", entity.esco))
    if isinstance(entity, CredentialDesign | Course):
        strings.append(("language", entity.language))
        if entity.language is not None and not _LANGUAGE.match(normalize.text(entity.language)):
            out.append(Problem(entity.key, "language", f"'{entity.language}' is not a language code like en or es"))
    if isinstance(entity, Course):
        strings.append(("LMS", entity.lms))
        urls.append(("course URL", entity.url))
    for field, given in strings + urls:
        if given is None:
            continue
        limit = normalize.URL_MAX if (field, given) in urls else normalize.STRING_MAX
        n = normalize.length(given)
        if n == 0:
            out.append(Problem(entity.key, field, "is empty; Wikibase refuses empty values, so fill it in or "
                               "leave the field out"))
        elif n > limit:
            out.append(Problem(entity.key, field, f"is {n} characters long; Wikibase allows at most {limit}"))
    for field, url in urls:
        if url is None or not normalize.text(url):
            continue
        scheme = normalize.url_scheme(url)
        if scheme is None:
            out.append(Problem(entity.key, field, f"'{url}' has no scheme; Wikibase needs a full URL such as "
                               "https://example.org/…"))
        elif scheme not in normalize.URL_SCHEMES:
            out.append(Problem(entity.key, field, f"'{url}' uses the scheme '{scheme}', which Wikibase does not "
                               "accept; use https://"))
    numbers: list[tuple[str, float | None]] = []
    if isinstance(entity, Assessment):
        numbers.append(("passing threshold", entity.passing_threshold))
    if isinstance(entity, CredentialDesign):
        numbers.append(("ECTS credit points", entity.ects))
    out += [Problem(entity.key, field, "is not a finite number; Wikibase stores quantities as decimals")
            for field, x in numbers if x is not None and not math.isfinite(x)]
    return out


def _same_terms(entities: Mapping[str, EntityBase], universe: Mapping[str, EntityBase]) -> list[Problem]:
    """Two items may not share both label and description in one language (Wikibase refuses the second)."""
    seen: dict[tuple[str, str, str], str] = {}
    for entity in universe.values():
        for lang, label in entity.labels.items():
            pair = (lang, normalize.text(label), normalize.text(entity.descriptions.get(lang, "")))
            if pair[1]:
                seen.setdefault(pair, entity.key)
    out = []
    for entity in entities.values():
        for lang, label in entity.labels.items():
            other = seen.get((lang, normalize.text(label), normalize.text(entity.descriptions.get(lang, ""))))
            if other is not None and other != entity.key:
                out.append(Problem(entity.key, f"label ({lang})", f"'{label}' with the same description is "
                                   f"already the label of '{other}'; Wikibase refuses two items with the same label "
                                   "and description, so change one of them"))
    return out


def _check_level(problems: list[Problem], entity: EntityBase, comp_key: str, level: int | None,
                 universe: Mapping[str, EntityBase]) -> None:
    comp = universe.get(comp_key)
    if level is None or not isinstance(comp, Competence):
        return
    numbers = {lv.number for lv in comp.levels}
    if level not in numbers:
        problems.append(Problem(entity.key, "proficiency level", f"level {level} is not a level of '{comp_key}' "
                                f"(it has {sorted(numbers)})"))


def _ref(problems: list[Problem], universe: Mapping[str, EntityBase], entity: EntityBase, prop: str,
         key: str | None, *kinds: Kind) -> None:
    if key is None:
        return
    target = universe.get(key)
    if target is None:
        problems.append(Problem(entity.key, prop, f"refers to '{key}', which is not in the data space; "
                                "add that entity or correct the key"))
        return
    kind = Kind(target.kind)
    if kinds and kind not in kinds:
        wanted = " or ".join(k.value for k in kinds)
        problems.append(Problem(entity.key, prop, f"refers to '{key}', a {kind.value}, but must refer to a {wanted}"))


def _check_design(problems: list[Problem], d: CredentialDesign, universe: Mapping[str, EntityBase]) -> None:
    def check(entity: EntityBase, prop: str, key: str | None, *kinds: Kind) -> None:
        _ref(problems, universe, entity, prop, key, *kinds)

    check(d, "part of", d.part_of, Kind.PRACTICE, Kind.ACTIVITY)
    for part in d.has_part:
        check(d, "has part", part.key, Kind.CREDENTIAL_DESIGN)
    for req in d.requires:
        check(d, "requires competence", req.key, Kind.COMPETENCE)
        _check_level(problems, d, req.key, req.level, universe)
    for key in d.outcomes:
        check(d, "learning outcome", key, Kind.LEARNING_OUTCOME)
    for key in d.assessed_by:
        check(d, "assessed by", key, Kind.ASSESSMENT)
    if not d.outcomes:
        problems.append(Problem(d.key, "learning outcome", "a credential design needs at least one learning outcome"))
    if not d.assessed_by and not d.has_part:
        problems.append(Problem(d.key, "assessed by", "a micro-credential needs at least one assessment "
                                "(or stack it from parts)"))
    if d.eqf_level is not None and not 1 <= d.eqf_level <= 8:
        problems.append(Problem(d.key, "EQF level", f"is {d.eqf_level}; the EQF has levels 1 to 8"))
    if d.ects is not None and d.ects < 0:
        problems.append(Problem(d.key, "ECTS credit points", f"is {d.ects:g}; credit points cannot be negative"))
    orders = [p.order for p in d.has_part if p.order is not None]
    if len(set(orders)) != len(orders):
        problems.append(Problem(d.key, "has part", "two parts share the same order; number the parts 1, 2, 3…"))
    if d.ects is not None and d.has_part:
        parts = [universe.get(p.key) for p in d.has_part]
        total = sum(p.ects or 0 for p in parts if isinstance(p, CredentialDesign))
        if total > d.ects + 1e-9:
            problems.append(Problem(d.key, "ECTS credit points", f"the parts add up to {total:g} ECTS, more than "
                                    f"the whole ({d.ects:g}); raise the whole or lower the parts"))


def _stacking_cycles(entities: Mapping[str, EntityBase], universe: Mapping[str, EntityBase]) -> list[Problem]:
    """Every design that stacks into itself, with the cycle spelled out."""
    problems: list[Problem] = []
    reported: set[frozenset[str]] = set()

    def parts(key: str) -> list[str]:
        e = universe.get(key)
        if isinstance(e, CredentialDesign):
            return [p.key for p in e.has_part]
        if isinstance(e, Practice | Activity):
            return [p.key for p in e.has_part]
        return []

    for start in entities:
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in parts(node):
                if nxt == start:
                    cycle = frozenset(path)
                    if cycle not in reported:
                        reported.add(cycle)
                        problems.append(Problem(start, "has part", "stacking cycle: " + " → ".join([*path, start])
                                                + "; a credential cannot contain itself"))
                elif nxt not in path and len(path) < 64:
                    stack.append((nxt, [*path, nxt]))
    return problems
