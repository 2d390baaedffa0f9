"""Award rules: which credential designs a learner has earned, read from the design model alone.

Pure functions, no database and no clock, so every intake path (AGS, claim link, LMS webhook, CSV) ends in
the same decision and the rules are tested in isolation.

- A score is scaled to a percentage: ``score / maximum * 100``.
- An assessment is passed when its latest percentage reaches the assessment's ``passing_threshold``
  (``DEFAULT_PASSING_THRESHOLD`` when the design leaves it empty).
- A design is earned when every assessment in its ``assessed_by`` is passed and every part in its
  ``has_part`` is earned (so a stack follows automatically from its micro-credentials), or when the LMS said
  the learner passed the course that leads to it (``course_passed``, policy ``trust_course_pass``).
- Something held stays held: a later lower grade does not revoke an award unless the policy says so
  (``revoke_on_lower_grade``). The design model has no field for it, so it is a deployment policy here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bridge.dataspace.api import Assessment, CredentialDesign, EntityBase
from bridge.errors import LeadsError, Problem
from bridge.settings import DEFAULT_PASSING_THRESHOLD  # the default of LEADS_AWARDS_DEFAULT_THRESHOLD


@dataclass(frozen=True)
class AwardPolicy:
    """Deployment-wide choices the design model does not (yet) express."""

    revoke_on_lower_grade: bool = False
    trust_course_pass: bool = True
    default_threshold: float = DEFAULT_PASSING_THRESHOLD


DEFAULT_POLICY = AwardPolicy()


class ScoreError(LeadsError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="invalid_score", status=422)


def scale(score: float, maximum: float) -> float:
    """A score as a percentage of its maximum (LTI AGS: ``scoreGiven / scoreMaximum * 100``)."""
    if maximum is None or not math.isfinite(maximum) or maximum <= 0:
        raise ScoreError(f"the score maximum is {maximum!r}; it must be a number above 0")
    if score is None or not math.isfinite(score) or score < 0:  # NaN is neither stored nor compared
        raise ScoreError(f"the score is {score!r}; it must be a number of at least 0")
    return round(score / maximum * 100.0, 6)


@dataclass(frozen=True)
class DesignRule:
    key: str
    assessments: tuple[tuple[str, float], ...]  # (assessment key, threshold in percent)
    parts: tuple[str, ...]

    @property
    def earnable(self) -> bool:
        return bool(self.assessments or self.parts)


@dataclass(frozen=True)
class Missing:
    """One thing that stands between the learner and a design: shown on the claim page."""

    design: str
    what: str  # "assessment" | "part" | "course"
    key: str
    needed: float | None = None
    got: float | None = None

    def text(self) -> str:
        if self.what == "part":
            return f"earn '{self.key}' first"
        if self.what == "course":
            return f"'{self.key}' has no assessments or parts; it is earned when the LMS reports the course passed"
        if self.got is None:
            return f"no grade yet for '{self.key}' (pass mark {self.needed:g}%)"
        return f"'{self.key}' is at {self.got:g}%, the pass mark is {self.needed:g}%"


@dataclass(frozen=True)
class Decision:
    """What to do now: designs to award (parts before stacks), to revoke, and what is still missing."""

    award: tuple[str, ...] = ()
    revoke: tuple[tuple[str, str], ...] = ()
    earned: frozenset[str] = frozenset()
    missing: tuple[Missing, ...] = ()


@dataclass(frozen=True)
class AwardRules:
    designs: Mapping[str, DesignRule] = field(default_factory=dict)

    @classmethod
    def from_entities(cls, entities: Iterable[EntityBase], policy: AwardPolicy = DEFAULT_POLICY) -> AwardRules:
        entities = list(entities)
        thresholds = {e.key: e.passing_threshold for e in entities if isinstance(e, Assessment)}
        designs: dict[str, DesignRule] = {}
        problems: list[Problem] = []
        for e in entities:
            if not isinstance(e, CredentialDesign):
                continue
            assessments = []
            for key in e.assessed_by:
                if key not in thresholds:
                    problems.append(Problem(e.key, "assessed by", f"'{key}' is not a known assessment"))
                    continue
                t = thresholds[key]
                assessments.append((key, policy.default_threshold if t is None else float(t)))
            parts = tuple(p.key for p in sorted(e.has_part, key=lambda r: (r.order is None, r.order or 0)))
            designs[e.key] = DesignRule(e.key, tuple(assessments), parts)
        for rule in designs.values():
            problems += [Problem(rule.key, "has part", f"'{p}' is not a known credential design")
                         for p in rule.parts if p not in designs]
        if problems:
            raise LeadsError("the design cannot be used for awards", code="design_incomplete", status=422,
                             problems=problems)
        return cls(designs)

    def tree(self, root: str) -> tuple[str, ...]:
        """``root`` and every design stacked under it, parts before the stacks that contain them."""
        if root not in self.designs:
            raise LeadsError(f"'{root}' is not a credential design in the data space", code="unknown_design",
                             status=404)
        order: list[str] = []

        def visit(key: str, path: tuple[str, ...]) -> None:
            if key in order or key in path:
                return
            for part in self.designs[key].parts:
                visit(part, (*path, key))
            order.append(key)

        visit(root, ())
        return tuple(order)

    def assessments(self, root: str) -> dict[str, float]:
        """Every assessment under ``root`` with its threshold: what an intake path has to look for."""
        return {a: t for key in self.tree(root) for a, t in self.designs[key].assessments}


def decide(
    rules: AwardRules,
    root: str,
    grades: Mapping[str, float],
    held: Iterable[str] = (),
    *,
    course_passed: bool = False,
    policy: AwardPolicy = DEFAULT_POLICY,
) -> Decision:
    """The decision for one learner under the design ``root``.

    ``grades`` maps assessment keys to the latest percentage; ``held`` is what the learner already has
    (not revoked). Designs already held are never awarded again.
    """
    held_set = frozenset(held)
    earned: set[str] = set()
    award: list[str] = []
    revoke: list[tuple[str, str]] = []
    missing: list[Missing] = []
    for key in rules.tree(root):
        rule = rules.designs[key]
        gaps: list[Missing] = []
        for assessment, threshold in rule.assessments:
            got = grades.get(assessment)
            if got is None or got < threshold:
                gaps.append(Missing(key, "assessment", assessment, threshold, got))
        gaps += [Missing(key, "part", p) for p in rule.parts if p not in earned]
        passes = rule.earnable and not gaps
        if course_passed and policy.trust_course_pass:
            passes, gaps = True, []
        if key in held_set:
            graded_below = any(g.what == "assessment" and g.got is not None for g in gaps)
            if policy.revoke_on_lower_grade and not passes and (graded_below or any(g.what == "part" for g in gaps)):
                revoke.append((key, "; ".join(g.text() for g in gaps)))
                missing += gaps
            else:
                earned.add(key)
        elif passes:
            earned.add(key)
            award.append(key)
        else:
            missing += gaps or [Missing(key, "course", key)]
    return Decision(tuple(award), tuple(revoke), frozenset(earned), tuple(missing))
