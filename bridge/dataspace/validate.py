"""Checks a design set as a whole and lists every problem at once (entity, property, what to fix).

Besides the model's own rules, everything a Wikibase would refuse is caught here, before a push starts: term and
string lengths, label = description, URLs without a scheme, values of the wrong shape for their property, and two
items sharing label and description. Lengths count the text as the wiki stores it (trimmed, NFC).
"""

from __future__ import annotations

import math
import re
import unicodedata
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
from bridge.errors import Problem, Term

REQUIRED_LABEL_LANG = "en"
# the properties problems name (a page translates them, see bridge.errors.Term)
CAPACITY_EXCHANGE_SKILL = Term("Capacity Exchange skill")
ECTS_CREDIT_POINTS = Term("ECTS credit points")
EQF_LEVEL = Term("EQF level")
ESCO_SKILL = Term("ESCO skill")
LMS = Term("LMS")
WIKIDATA_ITEM = Term("Wikidata item")
ASSESSED_BY = Term("assessed by")
COURSE_URL = Term("course URL")
CREDENTIAL_DESIGN = Term("credential design")
DESCRIPTION = Term("description")
HAS_PART = Term("has part")
LABEL = Term("label")
LANGUAGE = Term("language")
LEARNING_OUTCOME = Term("learning outcome")
PART_OF = Term("part of")
PASSING_THRESHOLD = Term("passing threshold")
PROFICIENCY_LEVEL = Term("proficiency level")
REQUIRES_COMPETENCE = Term("requires competence")
IN_LANGUAGE = Term("%(field)s (%(lang)s)")  # a term in one language: "label (es)"
LEVEL_IN_LANGUAGE = Term("proficiency level %(number)s (%(lang)s)")
#: each kind of entity in words (an entity never changes kind under its key: the editor and a pull say which)
KIND_TERMS = {Kind.PRACTICE: Term("practice"), Kind.ACTIVITY: Term("activity"), Kind.COMPETENCE: Term("competence"),
              Kind.LEARNING_OUTCOME: LEARNING_OUTCOME, Kind.ASSESSMENT: Term("assessment"),
              Kind.CREDENTIAL_DESIGN: CREDENTIAL_DESIGN, Kind.COURSE: Term("course")}


def validate(entities: Mapping[str, EntityBase], *, known: Mapping[str, EntityBase] | None = None) -> list[Problem]:
    """Problems in ``entities``; references may also point into ``known`` (what is stored already)."""
    universe: dict[str, EntityBase] = {**(known or {}), **entities}
    problems: list[Problem] = []

    def ref(entity: EntityBase, prop: Term, key: str | None, *kinds: Kind) -> None:
        _ref(problems, universe, entity, prop, key, *kinds)

    for entity in entities.values():
        if not entity.labels.get(REQUIRED_LABEL_LANG, "").strip():
            problems.append(Problem(entity.key, LABEL, "has no '%(lang)s' label; give every entity at least "
                                    "an English label", {"lang": REQUIRED_LABEL_LANG}))
        if isinstance(entity, Practice):
            for part in entity.has_part:
                ref(entity, HAS_PART, part.key, Kind.ACTIVITY, Kind.PRACTICE)
        elif isinstance(entity, Activity):
            ref(entity, PART_OF, entity.part_of, Kind.PRACTICE, Kind.ACTIVITY)
            for part in entity.has_part:
                ref(entity, HAS_PART, part.key, Kind.ACTIVITY)
            for req in entity.requires:
                ref(entity, REQUIRES_COMPETENCE, req.key, Kind.COMPETENCE)
                _check_level(problems, entity, req.key, req.level, universe)
        elif isinstance(entity, Competence):
            ref(entity, PART_OF, entity.part_of, Kind.PRACTICE, Kind.ACTIVITY)
            numbers = [lv.number for lv in entity.levels]
            if len(set(numbers)) != len(numbers):
                problems.append(Problem(entity.key, PROFICIENCY_LEVEL,
                                        "level numbers repeat; number them 1, 2, 3…"))
        elif isinstance(entity, LearningOutcome):
            if entity.competence:
                ref(entity, REQUIRES_COMPETENCE, entity.competence.key, Kind.COMPETENCE)
                _check_level(problems, entity, entity.competence.key, entity.competence.level, universe)
        elif isinstance(entity, Assessment):
            t = entity.passing_threshold
            if t is not None and not 0 <= t <= 100:
                problems.append(Problem(entity.key, PASSING_THRESHOLD,
                                        "is %(value)s; use a percentage from 0 to 100", {"value": f"{t:g}"}))
            for key in entity.assesses:
                ref(entity, LEARNING_OUTCOME, key, Kind.LEARNING_OUTCOME)
        elif isinstance(entity, CredentialDesign):
            _check_design(problems, entity, universe)
        elif isinstance(entity, Course):
            ref(entity, CREDENTIAL_DESIGN, entity.design, Kind.CREDENTIAL_DESIGN)
            if entity.url is not None and not entity.url.startswith(("http://", "https://")):
                problems.append(Problem(entity.key, COURSE_URL, "'%(url)s' is not an http(s) URL",
                                        {"url": entity.url}))

    for entity in entities.values():
        problems.extend(wikibase_limits(entity))
    problems.extend(_same_terms(entities, universe))
    problems.extend(_stacking_cycles(entities, universe))
    return problems


_WIKIDATA_ID = re.compile(r"^Q[1-9][0-9]*$")


def _not_in_terms(char: str) -> bool:
    """C0 and C1 controls, surrogates and the non-characters U+FFFE/U+FFFF."""
    return unicodedata.category(char) in ("Cc", "Cs") or char in "\ufffe\uffff"


_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


def wikibase_limits(entity: EntityBase) -> list[Problem]:
    """What a Wikibase would refuse in this entity, named by field (REL1_43 defaults)."""
    out: list[Problem] = []
    for field, terms in ((LABEL, entity.labels), (DESCRIPTION, entity.descriptions)):
        for lang, value in terms.items():
            n = normalize.length(value)
            if n > normalize.TERM_MAX:
                out.append(Problem(entity.key, IN_LANGUAGE, "is %(n)s characters long; Wikibase allows at most "
                                   "%(limit)s, so shorten it",
                                   {"field": field, "lang": lang, "n": n, "limit": normalize.TERM_MAX}))
            bad = next(((i, c) for i, c in enumerate(normalize.text(value), start=1) if _not_in_terms(c)), None)
            if bad is not None:  # Wikibase refuses them, and no course export (XML) can carry them
                out.append(Problem(entity.key, IN_LANGUAGE, "contains a control character (U+%(code)s) at position "
                                   "%(position)s; take it out",
                                   {"field": field, "lang": lang, "code": f"{ord(bad[1]):04X}", "position": bad[0]}))
    for lang, label in entity.labels.items():
        desc = entity.descriptions.get(lang)
        if desc is not None and normalize.text(desc) and normalize.text(desc) == normalize.text(label):
            out.append(Problem(entity.key, IN_LANGUAGE, "is the same as the label; Wikibase refuses that, so say "
                               "in other words what it is", {"field": DESCRIPTION, "lang": lang}))
    strings: list[tuple[Term, str | None, dict[str, object]]] = []  # the field, its value, the field's params
    urls: list[tuple[Term, str | None]] = []
    if entity.wikidata is not None and not _WIKIDATA_ID.match(normalize.text(entity.wikidata)):
        out.append(Problem(entity.key, WIKIDATA_ITEM, "'%(value)s' is not a Wikidata item id like Q42",
                           {"value": entity.wikidata}))
    if isinstance(entity, Competence):
        strings += [(LEVEL_IN_LANGUAGE, text, {"number": lv.number, "lang": lang}) for lv in entity.levels
                    for lang, text in lv.labels.items()]
        strings.append((CAPACITY_EXCHANGE_SKILL, entity.capx_skill, {}))
        urls.append((ESCO_SKILL, entity.esco))
    elif isinstance(entity, LearningOutcome | CredentialDesign):
        urls.append((ESCO_SKILL, entity.esco))
    if isinstance(entity, CredentialDesign | Course):
        strings.append((LANGUAGE, entity.language, {}))
        if entity.language is not None and not _LANGUAGE.match(normalize.text(entity.language)):
            out.append(Problem(entity.key, LANGUAGE, "'%(value)s' is not a language code like en or es",
                               {"value": entity.language}))
    if isinstance(entity, Course):
        strings.append((LMS, entity.lms, {}))
        urls.append((COURSE_URL, entity.url))
    for field, given, where in strings + [(f, u, {}) for f, u in urls]:
        if given is None:
            continue
        limit = normalize.URL_MAX if (field, given) in urls else normalize.STRING_MAX
        n = normalize.length(given)
        if n == 0:
            out.append(Problem(entity.key, field, "is empty; Wikibase refuses empty values, so fill it in or "
                               "leave the field out", where))
        elif n > limit:
            out.append(Problem(entity.key, field, "is %(n)s characters long; Wikibase allows at most %(limit)s",
                               {**where, "n": n, "limit": limit}))
    for field, url in urls:
        if url is None or not normalize.text(url):
            continue
        scheme = normalize.url_scheme(url)
        if scheme is None:
            out.append(Problem(entity.key, field, "'%(url)s' has no scheme; Wikibase needs a full URL such as "
                               "https://example.org/…", {"url": url}))
        elif scheme not in normalize.URL_SCHEMES:
            out.append(Problem(entity.key, field, "'%(url)s' uses the scheme '%(scheme)s', which Wikibase does not "
                               "accept; use https://", {"url": url, "scheme": scheme}))
    numbers: list[tuple[Term, float | None]] = []
    if isinstance(entity, Assessment):
        numbers.append((PASSING_THRESHOLD, entity.passing_threshold))
    if isinstance(entity, CredentialDesign):
        numbers.append((ECTS_CREDIT_POINTS, entity.ects))
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
                out.append(Problem(entity.key, IN_LANGUAGE, "'%(label)s' with the same description is already the "
                                   "label of '%(other)s'; Wikibase refuses two items with the same label and "
                                   "description, so change one of them",
                                   {"field": LABEL, "lang": lang, "label": label, "other": other}))
    return out


def _check_level(problems: list[Problem], entity: EntityBase, comp_key: str, level: int | None,
                 universe: Mapping[str, EntityBase]) -> None:
    comp = universe.get(comp_key)
    if level is None or not isinstance(comp, Competence):
        return
    numbers = {lv.number for lv in comp.levels}
    if level not in numbers:
        problems.append(Problem(entity.key, PROFICIENCY_LEVEL, "level %(level)s is not a level of "
                                "'%(competence)s' (it has %(levels)s)",
                                {"level": level, "competence": comp_key, "levels": sorted(numbers)}))


def _ref(problems: list[Problem], universe: Mapping[str, EntityBase], entity: EntityBase, prop: Term,
         key: str | None, *kinds: Kind) -> None:
    if key is None:
        return
    target = universe.get(key)
    if target is None:
        problems.append(Problem(entity.key, prop, "refers to '%(key)s', which is not in the data space; add that "
                                "entity or correct the key", {"key": key}))
        return
    kind = Kind(target.kind)
    if kinds and kind not in kinds:
        wanted = " or ".join(k.value for k in kinds)
        problems.append(Problem(entity.key, prop, "refers to '%(key)s', a %(kind)s, but must refer to a %(wanted)s",
                                {"key": key, "kind": kind.value, "wanted": wanted}))


def _check_design(problems: list[Problem], d: CredentialDesign, universe: Mapping[str, EntityBase]) -> None:
    def check(entity: EntityBase, prop: Term, key: str | None, *kinds: Kind) -> None:
        _ref(problems, universe, entity, prop, key, *kinds)

    check(d, PART_OF, d.part_of, Kind.PRACTICE, Kind.ACTIVITY)
    for part in d.has_part:
        check(d, HAS_PART, part.key, Kind.CREDENTIAL_DESIGN)
    for req in d.requires:
        check(d, REQUIRES_COMPETENCE, req.key, Kind.COMPETENCE)
        _check_level(problems, d, req.key, req.level, universe)
    for key in d.outcomes:
        check(d, LEARNING_OUTCOME, key, Kind.LEARNING_OUTCOME)
    for key in d.assessed_by:
        check(d, ASSESSED_BY, key, Kind.ASSESSMENT)
    if not d.outcomes:
        problems.append(Problem(d.key, LEARNING_OUTCOME,
                                "a credential design needs at least one learning outcome"))
    if not d.assessed_by and not d.has_part:
        problems.append(Problem(d.key, ASSESSED_BY, "a micro-credential needs at least one assessment "
                                "(or stack it from parts)"))
    if d.eqf_level is not None and not 1 <= d.eqf_level <= 8:
        problems.append(Problem(d.key, EQF_LEVEL, "is %(level)s; the EQF has levels 1 to 8",
                                {"level": d.eqf_level}))
    if d.ects is not None and d.ects < 0:
        problems.append(Problem(d.key, ECTS_CREDIT_POINTS, "is %(ects)s; credit points cannot be negative",
                                {"ects": f"{d.ects:g}"}))
    orders = [p.order for p in d.has_part if p.order is not None]
    if len(set(orders)) != len(orders):
        problems.append(Problem(d.key, HAS_PART,
                                "two parts share the same order; number the parts 1, 2, 3…"))
    if d.ects is not None and d.has_part:
        parts = [universe.get(p.key) for p in d.has_part]
        total = sum(p.ects or 0 for p in parts if isinstance(p, CredentialDesign))
        if total > d.ects + 1e-9:
            problems.append(Problem(d.key, ECTS_CREDIT_POINTS, "the parts add up to %(total)s ECTS, more "
                                    "than the whole (%(ects)s); raise the whole or lower the parts",
                                    {"total": f"{total:g}", "ects": f"{d.ects:g}"}))


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
                        problems.append(Problem(start, HAS_PART, "stacking cycle: %(cycle)s; a credential "
                                                "cannot contain itself", {"cycle": " → ".join([*path, start])}))
                elif nxt not in path and len(path) < 64:
                    stack.append((nxt, [*path, nxt]))
    return problems
