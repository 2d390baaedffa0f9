"""The design → outline mapping on the pilot certificate and on edge cases."""

from __future__ import annotations

import pytest

from bridge.courses.outline import CourseOutline, LtiEndpoints, build_outline
from bridge.dataspace.model import Assessment, CredentialDesign, EntityBase, Ref
from bridge.errors import NotFound, ValidationFailed
from tests.bridge.courses.conftest import BASE, PILOT


def test_sections_follow_the_stack_order_then_competences(pilot_outline: CourseOutline) -> None:
    kinds = [(s.kind, s.key) for s in pilot_outline.sections]
    assert kinds == [
        ("micro-credential", "glam-mc-rights"),
        ("competence", "glam-mc-rights--glam-copyright-assessment"),
        ("micro-credential", "glam-mc-digitisation"),
        ("competence", "glam-mc-digitisation--glam-digitisation-imaging"),
        ("competence", "glam-mc-digitisation--glam-metadata-description"),
        ("micro-credential", "glam-mc-commons-upload"),
        ("competence", "glam-mc-commons-upload--glam-commons-batch-upload"),
        ("competence", "glam-mc-commons-upload--glam-structured-data"),
        ("claim", f"{PILOT}--claim"),
    ]
    assert [p.key for p in pilot_outline.parts] == ["glam-mc-rights", "glam-mc-digitisation",
                                                    "glam-mc-commons-upload"]
    assert [p.weight for p in pilot_outline.parts] == [0.2, 0.4, 0.4]  # 1, 2 and 2 ECTS of 5


def test_title_summary_language(pilot_outline: CourseOutline) -> None:
    assert pilot_outline.title == "Certificate: Digitising a small archive for Wikimedia Commons"
    assert pilot_outline.language == "en"
    assert "5 ECTS" in pilot_outline.summary and "EQF level 5" in pilot_outline.summary
    assert pilot_outline.short_name == PILOT


def test_outcomes_in_section_summaries(pilot_outline: CourseOutline) -> None:
    by_key = {s.key: s for s in pilot_outline.sections}
    imaging = by_key["glam-mc-digitisation--glam-digitisation-imaging"]
    assert imaging.outcomes == ("Digitise documents and photographs at archival resolution and colour accuracy",)
    assert "<li>Digitise documents and photographs" in imaging.summary
    assert "Applies" in imaging.title  # the required proficiency level
    assert len(by_key["glam-mc-digitisation"].outcomes) == 2
    assert by_key[f"{PILOT}--claim"].outcomes == (
        "Plan a small digitisation-and-upload project from selection to reuse",)


def test_one_lti_link_per_assessment_with_line_item_and_threshold(pilot_outline: CourseOutline) -> None:
    graded = pilot_outline.graded_activities
    assert [(a.key, a.passing_threshold, a.passing_grade) for a in graded] == [
        ("glam-as-rights-quiz", 70, 70.0), ("glam-as-digitisation-portfolio", 60, 60.0),
        ("glam-as-upload-project", 75, 75.0)]
    quiz = graded[0]
    assert quiz.line_item is not None
    assert (quiz.line_item.resource_id, quiz.line_item.tag, quiz.line_item.score_maximum) == (
        "glam-as-rights-quiz", "glam-mc-rights", 100.0)
    assert quiz.custom_lines() == ["leads_assessment=glam-as-rights-quiz", "leads_design=glam-mc-rights"]
    # the portfolio assesses imaging and metadata: it follows the last of the two competence sections
    by_key = {s.key: s for s in pilot_outline.sections}
    assert [a.key for a in by_key["glam-mc-digitisation--glam-metadata-description"].activities] == [
        "glam-as-digitisation-portfolio"]


def test_final_claim_activity_and_lti_urls(pilot_outline: CourseOutline) -> None:
    last = pilot_outline.sections[-1].activities[-1]
    assert not last.graded and ("leads_action", "claim") in last.custom
    assert pilot_outline.lti == LtiEndpoints(f"{BASE}/lti/launch", f"{BASE}/lti/login", f"{BASE}/lti/jwks")
    assert pilot_outline.lti.tool_domain == "leads.example.org"


def test_pass_cutoff_is_the_weighted_mean_threshold(pilot_outline: CourseOutline) -> None:
    assert pilot_outline.pass_cutoff() == round((0.2 * 70 + 0.4 * 60 + 0.4 * 75) / 100, 2)


def test_pure_and_language_of_the_design(pilot_entities: dict[str, EntityBase]) -> None:
    assert build_outline(PILOT, pilot_entities, BASE) == build_outline(PILOT, pilot_entities, BASE + "/")
    entities = dict(pilot_entities)
    es = entities["glam-mc-rights"].model_copy(update={"language": "es"})
    entities["glam-mc-rights"] = es
    single = build_outline("glam-mc-rights", entities, BASE)
    assert single.language == "es"
    assert single.title == es.labels["es"] != es.labels["en"]
    assert [s.kind for s in single.sections] == ["micro-credential", "competence", "claim"]
    assert len(single.graded_activities) == 1


def test_unknown_design_and_broken_reference(pilot_entities: dict[str, EntityBase]) -> None:
    with pytest.raises(NotFound) as nf:
        build_outline("no-such-design", pilot_entities, BASE)
    assert nf.value.status == 404
    with pytest.raises(ValidationFailed):
        build_outline("glam-as-rights-quiz", pilot_entities, BASE)
    entities = dict(pilot_entities)
    design = entities[PILOT]
    assert isinstance(design, CredentialDesign)
    entities[PILOT] = design.model_copy(update={"has_part": [*design.has_part, Ref(key="gone", order=4)]})
    with pytest.raises(ValidationFailed) as vf:
        build_outline(PILOT, entities, BASE)
    assert "gone" in vf.value.problems[0].message


def test_stack_with_its_own_assessment_gets_a_final_grader(pilot_entities: dict[str, EntityBase]) -> None:
    entities = dict(pilot_entities)
    entities["glam-as-capstone"] = Assessment(key="glam-as-capstone", labels={"en": "Capstone"},
                                              passing_threshold=80, assesses=["glam-lo-plan-project"])
    design = entities[PILOT]
    assert isinstance(design, CredentialDesign)
    entities[PILOT] = design.model_copy(update={"assessed_by": ["glam-as-capstone"]})
    outline = build_outline(PILOT, entities, BASE)
    assert outline.parts[-1].short_label == "Final"
    assert abs(sum(p.weight for p in outline.parts) - 1) < 1e-3
    assert outline.sections[-1].activities[0].key == "glam-as-capstone"
