"""The LEADS data model as Wikibase properties and class items, described as data.

Every property and class has a stable LEADS key; a :class:`~bridge.wikibase.propmap.PropertyMap` maps those keys
to the P- and Q-numbers of one particular Wikibase, so nothing here (or anywhere) names a number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bridge.dataspace.api import Kind

Datatype = Literal["wikibase-item", "string", "external-id", "url", "quantity", "monolingualtext"]

#: How a datatype's value is wrapped in a snak's ``datavalue.type``.
VALUE_TYPES: dict[str, str] = {
    "wikibase-item": "wikibase-entityid",
    "string": "string",
    "external-id": "string",
    "url": "string",
    "quantity": "quantity",
    "monolingualtext": "monolingualtext",
}


@dataclass(frozen=True)
class PropertySpec:
    key: str
    datatype: Datatype
    labels: dict[str, str]
    descriptions: dict[str, str] = field(default_factory=dict)
    qualifier_only: bool = False


@dataclass(frozen=True)
class ClassSpec:
    key: str
    kind: Kind
    labels: dict[str, str]
    descriptions: dict[str, str] = field(default_factory=dict)


LEADS_KEY = "leads-key"

PROPERTIES: tuple[PropertySpec, ...] = (
    PropertySpec(LEADS_KEY, "external-id", {"en": "LEADS key", "es": "clave LEADS"},
                 {"en": "stable identifier of a LEADS entity, property or class, independent of this Wikibase's ids",
                  "es": "identificador estable de una entidad, propiedad o clase de LEADS"}),
    PropertySpec("instance-of", "wikibase-item", {"en": "LEADS instance of", "es": "LEADS instancia de"},
                 {"en": "the LEADS class of this item", "es": "la clase LEADS de este elemento"}),
    PropertySpec("part-of", "wikibase-item", {"en": "LEADS part of", "es": "LEADS parte de"},
                 {"en": "the practice, activity or credential design this belongs to",
                  "es": "la práctica, actividad o diseño de credencial al que pertenece"}),
    PropertySpec("has-part", "wikibase-item", {"en": "LEADS has part", "es": "LEADS tiene parte"},
                 {"en": "an ordered part (qualifier: series ordinal)",
                  "es": "una parte ordenada (calificador: número de serie)"}),
    PropertySpec("series-ordinal", "string", {"en": "LEADS series ordinal", "es": "LEADS número de serie"},
                 {"en": "position of a part or level within its series (1, 2, 3…)",
                  "es": "posición de una parte o nivel en su serie (1, 2, 3…)"}, qualifier_only=True),
    PropertySpec("requires-competence", "wikibase-item",
                 {"en": "LEADS requires competence", "es": "LEADS requiere competencia"},
                 {"en": "a competence needed, with its proficiency level as qualifier",
                  "es": "una competencia necesaria, con su nivel de dominio como calificador"}),
    PropertySpec("proficiency-level", "quantity", {"en": "LEADS proficiency level", "es": "LEADS nivel de dominio"},
                 {"en": "number of the competence's proficiency level (1 Assists … 5 Innovates)",
                  "es": "número del nivel de dominio de la competencia (1 Asiste … 5 Innova)"}, qualifier_only=True),
    PropertySpec("competence-level", "monolingualtext",
                 {"en": "LEADS competence level", "es": "LEADS nivel de competencia"},
                 {"en": "name of one proficiency level of this competence (qualifier: series ordinal)",
                  "es": "nombre de un nivel de dominio de esta competencia (calificador: número de serie)"}),
    PropertySpec("learning-outcome", "wikibase-item",
                 {"en": "LEADS learning outcome", "es": "LEADS resultado de aprendizaje"},
                 {"en": "a learning outcome a credential design certifies",
                  "es": "un resultado de aprendizaje que certifica un diseño de credencial"}),
    PropertySpec("assessed-by", "wikibase-item", {"en": "LEADS assessed by", "es": "LEADS evaluado por"},
                 {"en": "an assessment that awards this credential design",
                  "es": "una evaluación que otorga este diseño de credencial"}),
    PropertySpec("assesses", "wikibase-item", {"en": "LEADS assesses", "es": "LEADS evalúa"},
                 {"en": "a learning outcome this assessment checks",
                  "es": "un resultado de aprendizaje que comprueba esta evaluación"}),
    PropertySpec("passing-threshold", "quantity", {"en": "LEADS passing threshold", "es": "LEADS umbral de aprobado"},
                 {"en": "percentage of the maximum score needed to pass (0-100)",
                  "es": "porcentaje de la puntuación máxima necesario para aprobar (0-100)"}),
    PropertySpec("ects", "quantity", {"en": "LEADS ECTS credit points", "es": "LEADS créditos ECTS"},
                 {"en": "workload in ECTS credit points", "es": "carga de trabajo en créditos ECTS"}),
    PropertySpec("eqf-level", "quantity", {"en": "LEADS EQF level", "es": "LEADS nivel EQF"},
                 {"en": "European Qualifications Framework level (1-8)",
                  "es": "nivel del Marco Europeo de Cualificaciones (1-8)"}),
    PropertySpec("language", "string", {"en": "LEADS language", "es": "LEADS idioma"},
                 {"en": "language of instruction (BCP 47 code, e.g. en, es)",
                  "es": "idioma de enseñanza (código BCP 47, p. ej. en, es)"}),
    PropertySpec("esco-skill", "url", {"en": "LEADS ESCO skill", "es": "LEADS competencia ESCO"},
                 {"en": "URI of the matching ESCO skill", "es": "URI de la competencia ESCO correspondiente"}),
    PropertySpec("wikidata-item", "external-id", {"en": "LEADS Wikidata item", "es": "LEADS elemento de Wikidata"},
                 {"en": "the matching Wikidata item (Q-number on Wikidata)",
                  "es": "el elemento de Wikidata correspondiente (número Q en Wikidata)"}),
    PropertySpec("capx-skill", "external-id",
                 {"en": "LEADS Capacity Exchange skill", "es": "LEADS habilidad de Capacity Exchange"},
                 {"en": "identifier of the skill in the Wikimedia Capacity Exchange",
                  "es": "identificador de la habilidad en Capacity Exchange de Wikimedia"}),
    PropertySpec("credential-design", "wikibase-item",
                 {"en": "LEADS leads to credential", "es": "LEADS conduce a la credencial"},
                 {"en": "the credential design a course leads to",
                  "es": "el diseño de credencial al que conduce un curso"}),
    PropertySpec("course-url", "url", {"en": "LEADS course URL", "es": "LEADS URL del curso"},
                 {"en": "where the course lives in its LMS", "es": "dónde está el curso en su LMS"}),
    PropertySpec("lms", "string",
                 {"en": "LEADS learning management system", "es": "LEADS sistema de gestión del aprendizaje"},
                 {"en": "moodle, openedx or other", "es": "moodle, openedx u otro"}),
)

CLASSES: tuple[ClassSpec, ...] = (
    ClassSpec("class-practice", Kind.PRACTICE, {"en": "LEADS practice", "es": "práctica LEADS"},
              {"en": "how a piece of work is done", "es": "cómo se realiza un trabajo"}),
    ClassSpec("class-activity", Kind.ACTIVITY, {"en": "LEADS activity", "es": "actividad LEADS"},
              {"en": "a step or sub-practice of a practice", "es": "un paso o subpráctica de una práctica"}),
    ClassSpec("class-competence", Kind.COMPETENCE, {"en": "LEADS competence", "es": "competencia LEADS"},
              {"en": "an ability with proficiency levels", "es": "una capacidad con niveles de dominio"}),
    ClassSpec("class-learning-outcome", Kind.LEARNING_OUTCOME,
              {"en": "LEADS learning outcome class", "es": "clase resultado de aprendizaje LEADS"},
              {"en": "what a learner can do after learning", "es": "lo que puede hacer quien aprende"}),
    ClassSpec("class-assessment", Kind.ASSESSMENT, {"en": "LEADS assessment", "es": "evaluación LEADS"},
              {"en": "how a learning outcome is checked", "es": "cómo se comprueba un resultado de aprendizaje"}),
    ClassSpec("class-credential-design", Kind.CREDENTIAL_DESIGN,
              {"en": "LEADS credential design", "es": "diseño de credencial LEADS"},
              {"en": "a micro-credential, or a larger credential stacked from ordered parts",
               "es": "una microcredencial, o una credencial mayor apilada a partir de partes ordenadas"}),
    ClassSpec("class-course", Kind.COURSE, {"en": "LEADS course", "es": "curso LEADS"},
              {"en": "a course in an LMS that leads to a credential design",
               "es": "un curso en un LMS que conduce a un diseño de credencial"}),
)

PROPERTY_BY_KEY: dict[str, PropertySpec] = {p.key: p for p in PROPERTIES}
CLASS_BY_KEY: dict[str, ClassSpec] = {c.key: c for c in CLASSES}
CLASS_BY_KIND: dict[Kind, ClassSpec] = {c.kind: c for c in CLASSES}
ALL_KEYS: tuple[str, ...] = tuple(p.key for p in PROPERTIES) + tuple(c.key for c in CLASSES)
