"""Award rules on the bundled GLAM pilot design: thresholds, scaling, stacking, no revocation by default."""

from __future__ import annotations

import pytest

from bridge.awards.rules import AwardPolicy, AwardRules, ScoreError, decide, scale
from bridge.dataspace.model import Assessment, CredentialDesign, Ref
from bridge.dataspace.service import SAMPLE_DESIGN_SET, read_design_set_file
from bridge.errors import LeadsError

STACK = "glam-archive-to-commons-certificate"
RIGHTS, DIGI, UPLOAD = "glam-mc-rights", "glam-mc-digitisation", "glam-mc-commons-upload"
QUIZ, PORTFOLIO, PROJECT = "glam-as-rights-quiz", "glam-as-digitisation-portfolio", "glam-as-upload-project"


@pytest.fixture(scope="module")
def rules() -> AwardRules:
    return AwardRules.from_entities(read_design_set_file(SAMPLE_DESIGN_SET).entities)


def test_scale_is_score_over_maximum_in_percent() -> None:
    assert scale(7, 10) == 70.0
    assert scale(0.75, 1) == 75.0
    assert scale(13, 20) == 65.0


@pytest.mark.parametrize(("score", "maximum"), [(5, 0), (5, -1), (-1, 10)])
def test_scale_refuses_impossible_scores(score: float, maximum: float) -> None:
    with pytest.raises(ScoreError, match="must be a number"):
        scale(score, maximum)


def test_tree_lists_parts_before_the_stack(rules: AwardRules) -> None:
    assert rules.tree(STACK) == (RIGHTS, DIGI, UPLOAD, STACK)
    assert rules.assessments(STACK) == {QUIZ: 70.0, PORTFOLIO: 60.0, PROJECT: 75.0}


def test_threshold_is_inclusive_and_per_assessment(rules: AwardRules) -> None:
    d = decide(rules, STACK, {QUIZ: 70.0, PORTFOLIO: 59.99, PROJECT: 75.0})
    assert d.award == (RIGHTS, UPLOAD)
    [gap] = [m for m in d.missing if m.design == DIGI]
    assert (gap.key, gap.needed, gap.got) == (PORTFOLIO, 60.0, 59.99)
    assert "59.99%" in gap.text() and "60%" in gap.text()


def test_all_micro_credentials_earn_the_stack_in_the_same_decision(rules: AwardRules) -> None:
    d = decide(rules, STACK, {QUIZ: 100, PORTFOLIO: 60, PROJECT: 80})
    assert d.award == (RIGHTS, DIGI, UPLOAD, STACK)
    assert d.missing == ()


def test_stack_follows_when_the_last_part_arrives_later(rules: AwardRules) -> None:
    d = decide(rules, STACK, {PROJECT: 90}, held={RIGHTS, DIGI})
    assert d.award == (UPLOAD, STACK)


def test_held_designs_are_not_awarded_again(rules: AwardRules) -> None:
    d = decide(rules, STACK, {QUIZ: 100, PORTFOLIO: 100, PROJECT: 100}, held={RIGHTS, DIGI, UPLOAD, STACK})
    assert d.award == () and d.revoke == ()


def test_missing_grade_says_no_grade_yet(rules: AwardRules) -> None:
    d = decide(rules, STACK, {})
    assert d.award == ()
    texts = [m.text() for m in d.missing]
    assert "no grade yet for 'glam-as-rights-quiz' (pass mark 70%)" in texts
    assert any(m.design == STACK and m.what == "part" for m in d.missing)


def test_lower_grade_later_does_not_revoke_by_default(rules: AwardRules) -> None:
    d = decide(rules, STACK, {QUIZ: 10, PORTFOLIO: 10, PROJECT: 10}, held={RIGHTS, DIGI, UPLOAD, STACK})
    assert d.revoke == () and d.earned == {RIGHTS, DIGI, UPLOAD, STACK}


def test_policy_can_revoke_on_lower_grade_and_the_stack_with_it(rules: AwardRules) -> None:
    policy = AwardPolicy(revoke_on_lower_grade=True)
    d = decide(rules, STACK, {QUIZ: 10, PORTFOLIO: 90, PROJECT: 90}, held={RIGHTS, DIGI, UPLOAD, STACK},
               policy=policy)
    assert [k for k, _ in d.revoke] == [RIGHTS, STACK]
    assert "10%" in d.revoke[0][1]


def test_course_passed_from_the_lms_earns_the_whole_tree(rules: AwardRules) -> None:
    assert decide(rules, STACK, {}, course_passed=True).award == (RIGHTS, DIGI, UPLOAD, STACK)
    untrusting = AwardPolicy(trust_course_pass=False)
    assert decide(rules, STACK, {}, course_passed=True, policy=untrusting).award == ()


def test_empty_threshold_uses_the_policy_default() -> None:
    entities = [
        Assessment(key="a", labels={"en": "A"}),
        CredentialDesign(key="d", labels={"en": "D"}, assessed_by=["a"]),
    ]
    assert AwardRules.from_entities(entities).assessments("d") == {"a": 50.0}
    strict = AwardRules.from_entities(entities, AwardPolicy(default_threshold=80))
    assert decide(strict, "d", {"a": 79}).award == ()


def test_design_with_dangling_references_is_refused() -> None:
    entities = [CredentialDesign(key="d", labels={"en": "D"}, assessed_by=["nope"], has_part=[Ref(key="gone")])]
    with pytest.raises(LeadsError) as exc:
        AwardRules.from_entities(entities)
    assert {p.property for p in exc.value.problems} == {"assessed by", "has part"}


def test_unknown_root_is_a_404(rules: AwardRules) -> None:
    with pytest.raises(LeadsError) as exc:
        rules.tree("no-such-design")
    assert exc.value.status == 404
