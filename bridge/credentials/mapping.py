"""From a credential design in the data space to the issuer's ``AchievementSpec`` (the only place that knows both)."""

from __future__ import annotations

from bridge.dataspace.api import Assessment, Competence, CredentialDesign, EntityRepository, LearningOutcome
from bridge.errors import NotFound, Problem, ValidationFailed
from issuer.documents import AchievementSpec, Alignment, OutcomeSpec


def _criteria(design: CredentialDesign, assessments: list[Assessment]) -> dict[str, str]:
    """A criteria narrative per language, built from the design's assessments and thresholds."""
    langs = set(design.labels) | {lang for a in assessments for lang in a.labels} or {"en"}
    intro = {"en": "Pass", "es": "Superar"}
    out = {}
    for lang in sorted(langs):
        if not assessments:
            continue
        parts = []
        for a in assessments:
            threshold = f" (≥ {a.passing_threshold:g} %)" if a.passing_threshold is not None else ""
            parts.append(f"{a.label(lang)}{threshold}")
        out[lang] = f"{intro.get(lang, intro['en'])}: " + "; ".join(parts) + "."
    return out


def achievement_spec(repo: EntityRepository, design_key: str, entity_base: str) -> AchievementSpec:
    """The design with its outcomes, assessments and alignments; the design URI is ``entity_base + key``."""
    design = repo.get(design_key)
    if design is None:
        raise NotFound("no credential design %(design_key)s in the data space; list them with `leads data list --kind "
                       "credential-design`", code="design_not_found", params={"design_key": repr(design_key)})
    if not isinstance(design, CredentialDesign):
        raise ValidationFailed("%(design_key)s is a %(kind)s, not a credential design",
                               [Problem(design_key, "kind", "choose a credential-design key")],
                               params={"design_key": repr(design_key), "kind": design.kind})
    outcomes: list[OutcomeSpec] = []
    alignments: list[Alignment] = []
    if design.esco:
        alignments.append(Alignment.esco(design.esco, design.label(design.language or "en")))
    if design.wikidata:
        alignments.append(Alignment.wikidata(design.wikidata, design.label(design.language or "en")))
    competence_keys = [r.key for r in design.requires]
    for key in design.outcomes:
        outcome = repo.get(key)
        if isinstance(outcome, LearningOutcome):
            esco = outcome.esco
            if outcome.competence:
                competence_keys.append(outcome.competence.key)
            outcomes.append(OutcomeSpec(uri=entity_base + key, names=dict(outcome.labels) or {"en": key},
                                        esco=esco))
    for key in dict.fromkeys(competence_keys):
        competence = repo.get(key)
        if isinstance(competence, Competence):
            name = competence.label(design.language or "en")
            alignments.append(Alignment(url=entity_base + key, name=name, framework="LEADS", code=key))
            if competence.esco:
                alignments.append(Alignment.esco(competence.esco, name))
            if competence.wikidata:
                alignments.append(Alignment.wikidata(competence.wikidata, name))
    assessments = [a for a in (repo.get(k) for k in design.assessed_by) if isinstance(a, Assessment)]
    return AchievementSpec(
        uri=entity_base + design.key,
        names=dict(design.labels) or {"en": design.key},
        descriptions=dict(design.descriptions),
        criteria=_criteria(design, assessments),
        outcomes=tuple(outcomes),
        alignments=tuple(alignments),
        ects=design.ects,
        eqf_level=design.eqf_level,
        language=design.language or "en",
        achievement_type="MicroCredential" if not design.is_stack else "Certificate",
    )
