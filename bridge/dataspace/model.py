"""The LEADS data model as plain pydantic entities, independent of any Wikibase's P- and Q-numbers.

Every entity carries a stable LEADS ``key`` (kebab-case, unique across the data space). References between
entities are by key, so a design set can be validated, stored and rendered without a Wikibase, and the
Wikibase codec (``bridge.wikibase.codec``) maps keys to whatever ids a given Wikibase uses.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class Kind(StrEnum):
    PRACTICE = "practice"
    ACTIVITY = "activity"
    COMPETENCE = "competence"
    LEARNING_OUTCOME = "learning-outcome"
    ASSESSMENT = "assessment"
    CREDENTIAL_DESIGN = "credential-design"
    COURSE = "course"


class Ref(BaseModel):
    """An ordered link to another entity (has part / part of with a series ordinal)."""

    model_config = ConfigDict(frozen=True)
    key: str
    order: int | None = None


class CompetenceRequirement(BaseModel):
    """``requires competence`` with its qualifier: the proficiency level (number of the competence's level)."""

    model_config = ConfigDict(frozen=True)
    key: str
    level: int | None = None


class ProficiencyLevel(BaseModel):
    """An Essence-style proficiency level: 1 = Assists, 2 = Applies, 3 = Masters, 4 = Adapts, 5 = Innovates."""

    model_config = ConfigDict(frozen=True)
    number: int
    labels: dict[str, str] = Field(default_factory=dict)


ESSENCE_LEVELS: tuple[ProficiencyLevel, ...] = (
    ProficiencyLevel(number=1, labels={"en": "Assists", "es": "Asiste"}),
    ProficiencyLevel(number=2, labels={"en": "Applies", "es": "Aplica"}),
    ProficiencyLevel(number=3, labels={"en": "Masters", "es": "Domina"}),
    ProficiencyLevel(number=4, labels={"en": "Adapts", "es": "Adapta"}),
    ProficiencyLevel(number=5, labels={"en": "Innovates", "es": "Innova"}),
)


KEY_PATTERN = r"^[a-z0-9][a-z0-9-]{0,199}$"  # every entity's key, a design's too
_KEY = re.compile(KEY_PATTERN)


def is_key(text: str) -> bool:
    """Whether ``text`` could be an entity's key: a route checks it before using it in a file name or a query."""
    return _KEY.fullmatch(text) is not None


class EntityBase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Kind
    key: str = Field(pattern=KEY_PATTERN)
    labels: dict[str, str] = Field(default_factory=dict)
    descriptions: dict[str, str] = Field(default_factory=dict)
    wikibase_id: str | None = None
    wikidata: str | None = Field(default=None, description="Wikidata QID, e.g. Q1234")

    def label(self, lang: str = "en") -> str:
        return self.labels.get(lang) or self.labels.get("en") or next(iter(self.labels.values()), self.key)

    def description(self, lang: str = "en") -> str:
        return self.descriptions.get(lang) or self.descriptions.get("en") or ""


class Practice(EntityBase):
    kind: Literal[Kind.PRACTICE] = Kind.PRACTICE
    has_part: list[Ref] = Field(default_factory=list, description="activities / sub-practices, ordered")


class Activity(EntityBase):
    kind: Literal[Kind.ACTIVITY] = Kind.ACTIVITY
    part_of: str | None = None
    has_part: list[Ref] = Field(default_factory=list, description="sub-activities, ordered")
    requires: list[CompetenceRequirement] = Field(default_factory=list)


class Competence(EntityBase):
    kind: Literal[Kind.COMPETENCE] = Kind.COMPETENCE
    part_of: str | None = Field(default=None, description="the practice this competence belongs to")
    levels: list[ProficiencyLevel] = Field(default_factory=lambda: list(ESSENCE_LEVELS))
    esco: str | None = Field(default=None, description="ESCO skill URI")
    capx_skill: str | None = Field(default=None, description="Capacity Exchange skill id")


class LearningOutcome(EntityBase):
    kind: Literal[Kind.LEARNING_OUTCOME] = Kind.LEARNING_OUTCOME
    competence: CompetenceRequirement | None = None
    esco: str | None = None


class Assessment(EntityBase):
    kind: Literal[Kind.ASSESSMENT] = Kind.ASSESSMENT
    passing_threshold: float | None = Field(default=None, description="0-100, percent of the maximum score")
    assesses: list[str] = Field(default_factory=list, description="learning outcome keys")


class CredentialDesign(EntityBase):
    kind: Literal[Kind.CREDENTIAL_DESIGN] = Kind.CREDENTIAL_DESIGN
    part_of: str | None = Field(default=None, description="the practice it certifies competence in")
    has_part: list[Ref] = Field(default_factory=list, description="stacked credential designs, ordered")
    requires: list[CompetenceRequirement] = Field(default_factory=list)
    outcomes: list[str] = Field(default_factory=list)
    assessed_by: list[str] = Field(default_factory=list)
    ects: float | None = None
    eqf_level: int | None = None
    language: str | None = None
    esco: str | None = None

    @property
    def is_stack(self) -> bool:
        return bool(self.has_part)


class Course(EntityBase):
    kind: Literal[Kind.COURSE] = Kind.COURSE
    design: str | None = Field(default=None, description="the credential design the course leads to")
    url: str | None = None
    lms: str | None = Field(default=None, description="moodle | openedx | other")
    language: str | None = None


Entity = Annotated[
    Practice | Activity | Competence | LearningOutcome | Assessment | CredentialDesign | Course,
    Field(discriminator="kind"),
]

KIND_CLASSES: dict[Kind, type[EntityBase]] = {
    Kind.PRACTICE: Practice,
    Kind.ACTIVITY: Activity,
    Kind.COMPETENCE: Competence,
    Kind.LEARNING_OUTCOME: LearningOutcome,
    Kind.ASSESSMENT: Assessment,
    Kind.CREDENTIAL_DESIGN: CredentialDesign,
    Kind.COURSE: Course,
}


T = TypeVar("T", bound=EntityBase)


class DesignSet(BaseModel):
    """A set of entities as written in a design-set file (``leads data validate`` / ``leads wikibase push``)."""

    entities: list[Entity] = Field(default_factory=list)

    def by_key(self) -> dict[str, Entity]:
        return {e.key: e for e in self.entities}

    def of_kind(self, cls: type[T]) -> list[T]:
        return [e for e in self.entities if isinstance(e, cls)]
