"""Random, never-reused index allocation and status changes in memory."""

from __future__ import annotations

import pytest

from issuer.errors import IssuerError
from issuer.status import (
    MIN_LENGTH,
    InMemoryStatusStore,
    StatusListState,
    StatusPurpose,
    apply_status,
    pick_free_indexes,
)


def test_a_repeating_random_source_never_yields_an_index_twice() -> None:
    draws = iter([5, 5, 5, 7, 5, 7, 9])
    state = StatusListState.new(StatusPurpose.REVOCATION)
    assert pick_free_indexes(state, 3, lambda _n: next(draws)) == [5, 7, 9]
    assert state.allocated_count == 3


def test_allocations_are_unique_and_spread_over_the_list() -> None:
    store = InMemoryStatusStore()
    indexes = [a.index for a in store.allocate(StatusPurpose.REVOCATION, 2000)]
    assert len(set(indexes)) == 2000
    assert indexes != sorted(indexes)  # not handed out in order (recency must not be inferable)
    assert max(indexes) - min(indexes) > MIN_LENGTH // 2


def test_a_full_list_is_followed_by_a_new_one_and_no_index_repeats() -> None:
    store = InMemoryStatusStore()
    allocations = store.allocate(StatusPurpose.SUSPENSION, MIN_LENGTH + 10)
    first = {a.index for a in allocations if a.list_id == allocations[0].list_id}
    assert len(first) == MIN_LENGTH  # every index of the first list exactly once
    second = [a for a in allocations if a.list_id != allocations[0].list_id]
    assert len(second) == 10 and len({a.index for a in second}) == 10
    assert len(store.lists) == 2


def test_entry_is_a_bitstring_status_list_entry() -> None:
    allocation = InMemoryStatusStore().allocate(StatusPurpose.REVOCATION)[0]
    entry = allocation.entry("https://leads.example/status/abc")
    assert entry == {
        "id": f"https://leads.example/status/abc#{allocation.index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(allocation.index),
        "statusListCredential": "https://leads.example/status/abc",
    }


def test_revocation_is_final_suspension_is_reversible_and_unallocated_is_refused() -> None:
    store = InMemoryStatusStore()
    revoke = store.allocate(StatusPurpose.REVOCATION)[0]
    state = store.set_status(revoke.list_id, revoke.index, True)
    assert state.bits.get(revoke.index) and state.version == 2
    with pytest.raises(IssuerError) as err:
        store.set_status(revoke.list_id, revoke.index, False)
    assert err.value.code == "status_irreversible"
    suspend = store.allocate(StatusPurpose.SUSPENSION)[0]
    store.set_status(suspend.list_id, suspend.index, True)
    assert not store.set_status(suspend.list_id, suspend.index, False).bits.get(suspend.index)
    free = next(i for i in range(MIN_LENGTH) if not state.allocated.get(i))
    with pytest.raises(IssuerError) as err:
        apply_status(state, free, True)
    assert err.value.code == "status_index_unallocated"
