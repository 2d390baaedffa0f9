"""The data space's door: the data model, the entity repository, validation and the Wikibase text rules, for every
domain above it (decision 019)."""

from __future__ import annotations

from bridge.dataspace import normalize
from bridge.dataspace.model import (
    ESSENCE_LEVELS,
    Activity,
    Assessment,
    Competence,
    CompetenceRequirement,
    Course,
    CredentialDesign,
    DesignSet,
    Entity,
    EntityBase,
    Kind,
    LearningOutcome,
    Practice,
    ProficiencyLevel,
    Ref,
    is_key,
)
from bridge.dataspace.queries import Index, current_index, index_in
from bridge.dataspace.repository import EntityRepository
from bridge.dataspace.service import DumpDecoder, check, load_sample_if_empty, use_dump_decoder
from bridge.dataspace.tables import EntityRow
from bridge.dataspace.validate import KIND_TERMS
from bridge.i18n.ui import ui

__all__ = [
    "ESSENCE_LEVELS",
    "KIND_TERMS",
    "Activity",
    "Assessment",
    "Competence",
    "CompetenceRequirement",
    "Course",
    "CredentialDesign",
    "DesignSet",
    "DumpDecoder",
    "Entity",
    "EntityBase",
    "EntityRepository",
    "EntityRow",
    "Index",
    "Kind",
    "LearningOutcome",
    "Practice",
    "ProficiencyLevel",
    "Ref",
    "check",
    "current_index",
    "index_in",
    "is_key",
    "load_sample_if_empty",
    "normalize",
    "ui",
    "use_dump_decoder",
]
