"""Which competences a credential backs: LEADS designs by entity URI, other issuers by alignment."""

from __future__ import annotations

from bridge.dataspace import service
from bridge.pool.mapping import Evidence, evidence

BASE = "https://leads.example.org/entity/"
ENTITIES = service.parse_design_set(
    __import__("json").loads(service.SAMPLE_DESIGN_SET.read_text())
).by_key()


def ob3(achievement: dict[str, object]) -> dict[str, object]:
    return {"type": ["VerifiableCredential", "OpenBadgeCredential"],
            "credentialSubject": {"type": ["AchievementSubject"], "achievement": achievement}}


def test_micro_credential_maps_to_its_required_competences() -> None:
    found = evidence(ob3({"id": BASE + "glam-mc-digitisation", "name": "x"}), ENTITIES, BASE)
    assert [e.competence for e in found] == ["glam-digitisation-imaging", "glam-metadata-description"]
    assert all(e.level == 2 and e.design == "glam-mc-digitisation" for e in found)


def test_stack_collects_its_parts_and_keeps_the_highest_level() -> None:
    found = {e.competence: e for e in evidence(ob3({"id": BASE + "glam-archive-to-commons-certificate"}),
                                               ENTITIES, BASE)}
    assert set(found) == {"glam-copyright-assessment", "glam-digitisation-imaging", "glam-metadata-description",
                          "glam-commons-batch-upload", "glam-structured-data"}
    assert found["glam-copyright-assessment"].level == 3  # the stack's own outcome asks for level 3


def test_foreign_credential_maps_by_wikidata_alignment_only_when_known() -> None:
    aligned = ob3({"id": "https://badges.example.net/a/1", "name": "Copyright basics",
                   "alignment": [{"type": ["Alignment"], "targetUrl": "https://www.wikidata.org/wiki/Q12978"}]})
    assert evidence(aligned, ENTITIES, BASE) == [Evidence("glam-copyright-assessment", None, None)]
    unknown = ob3({"id": "https://badges.example.net/a/2", "alignment": [{"targetUrl": "https://www.wikidata.org/wiki/Q42"}]})
    assert evidence(unknown, ENTITIES, BASE) == []


def test_elm_credential_maps_through_its_specification() -> None:
    edc = {"credentialSubject": {"hasClaim": [{"specifiedBy": {"id": BASE + "glam-mc-rights", "title": {"en": "R"}}}]}}
    assert [e.competence for e in evidence(edc, ENTITIES, BASE)] == ["glam-copyright-assessment"]
