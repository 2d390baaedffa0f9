"""The merge rule of the CapX sync, alone: what the person entered is never taken away."""

from __future__ import annotations

from bridge.pool.capx import plan

PERSON, LEADS, OTHER = 1, 2, 3


def test_leads_adds_its_skill_and_leaves_the_persons_alone() -> None:
    merged = plan([PERSON], [PERSON], {}, {}, {}, {LEADS: [7]}, share_available=True)
    assert (merged.known, merged.available, merged.added) == ([PERSON, LEADS], [PERSON, LEADS], [LEADS])
    assert merged.ledger_known == {"2": [7]} and merged.ledger_available == {"2": [7]}


def test_a_skill_the_person_already_had_is_never_claimed_nor_removed() -> None:
    first = plan([LEADS], [], {}, {}, {}, {LEADS: [7]}, share_available=False)
    assert first.added == [] and first.ledger_known == {}
    gone = plan(first.known, first.available, first.ledger_known, first.ledger_available, first.declined, {}, False)
    assert gone.known == [LEADS] and gone.removed == []


def test_only_what_leads_added_leaves_when_the_credential_does() -> None:
    merged = plan([PERSON, LEADS], [PERSON, LEADS], {"2": [7]}, {"2": [7]}, {}, {}, share_available=True)
    assert (merged.known, merged.available, merged.removed) == ([PERSON], [PERSON], [LEADS])


def test_a_skill_the_person_removed_in_capx_is_not_added_again() -> None:
    merged = plan([PERSON], [], {"2": [7]}, {}, {}, {LEADS: [7]}, share_available=False)
    assert merged.known == [PERSON] and merged.added == [] and merged.declined["known"] == [LEADS]


def test_a_skill_the_person_offers_themselves_stays_known() -> None:
    # LEADS added LEADS to known only; the person then listed it as available in CapX: CapX needs it known
    merged = plan([PERSON, LEADS], [LEADS], {"2": [7]}, {}, {}, {}, share_available=False)
    assert merged.known == [PERSON, LEADS] and merged.kept == [LEADS] and merged.removed == []


def test_available_follows_the_learners_choice() -> None:
    merged = plan([PERSON, LEADS], [LEADS], {"2": [7]}, {"2": [7]}, {}, {LEADS: [7], OTHER: [8]}, False)
    assert merged.available == [] and merged.known == [PERSON, LEADS, OTHER] and merged.removed == [LEADS]
    assert set(merged.available) <= set(merged.known)
