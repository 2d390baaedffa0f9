"""Status index allocation: random positions (``secrets``), never handed out twice, behind a storage protocol.

The issuer only decides *which* index; where lists live (memory, a database) is the ``StatusStore``'s business,
so the application can persist them in its own tables.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from issuer.errors import IssuerError
from issuer.status.bitstring import MIN_LENGTH, Bitstring


class StatusPurpose(StrEnum):
    REVOCATION = "revocation"  # final
    SUSPENSION = "suspension"  # reversible


def parse_purpose(value: str) -> StatusPurpose:
    try:
        return StatusPurpose(value)
    except ValueError:
        raise IssuerError(
            f"unknown status purpose {value!r}; use 'revocation' or 'suspension'", code="status_purpose"
        ) from None


@dataclass(frozen=True)
class StatusAllocation:
    """One credential's place in one status list."""

    list_id: str
    purpose: StatusPurpose
    index: int

    def entry(self, list_url: str) -> dict[str, Any]:
        """The ``BitstringStatusListEntry`` to put in ``credentialStatus`` (index as a base-10 string)."""
        return {
            "id": f"{list_url}#{self.index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": self.purpose.value,
            "statusListIndex": str(self.index),
            "statusListCredential": list_url,
        }


@dataclass
class StatusListState:
    """A status list as stored: its bits, which indexes were ever handed out, and a version bumped on change."""

    list_id: str
    purpose: StatusPurpose
    bits: Bitstring
    allocated: Bitstring
    version: int = 1
    allocated_count: int = 0

    @classmethod
    def new(cls, purpose: StatusPurpose, length: int = MIN_LENGTH, list_id: str | None = None) -> StatusListState:
        return cls(list_id or uuid.uuid4().hex, purpose, Bitstring(length), Bitstring(length))

    @property
    def free(self) -> int:
        return self.bits.length - self.allocated_count


RandomBelow = Callable[[int], int]


PROBES = 64  # random draws per index before the free indexes are listed instead


def pick_free_indexes(state: StatusListState, count: int, randbelow: RandomBelow = secrets.randbelow) -> list[int]:
    """Mark ``count`` unallocated indexes as allocated, chosen uniformly at random, and return them.

    Random probing (a draw that hits an allocated index is drawn again: still uniform over the free ones) is fast
    while at least one index in sixteen is free; past that, or after ``PROBES`` misses for one index, the free
    indexes are listed once (a byte scan that skips full bytes) and drawn from without replacement, so allocation
    never loops and never returns an index twice. Listing on every call from half full on, as before, cost a
    131,072-step loop per batch once a list was half used: most of the time of a large cohort.
    """
    if count > state.free:
        raise IssuerError(f"status list {state.list_id} has only {state.free} free entries",
                          code="status_list_full", status=409)
    chosen: list[int] = []
    length = state.bits.length
    misses = 0
    while len(chosen) < count and misses < PROBES and (length - state.allocated_count) * 16 >= length:
        index = randbelow(length)
        if state.allocated.get(index):
            misses += 1
            continue
        state.allocated.set(index, True)
        state.allocated_count += 1
        chosen.append(index)
        misses = 0
    if len(chosen) < count:  # dense: draw without replacement from the free indexes
        free = state.allocated.clear_indexes()
        while len(chosen) < count:
            pos = randbelow(len(free))
            free[pos], free[-1] = free[-1], free[pos]
            index = free.pop()
            state.allocated.set(index, True)
            state.allocated_count += 1
            chosen.append(index)
    return chosen


class StatusStore(Protocol):
    """Where status lists live. ``allocate`` must never return an index it returned before."""

    def allocate(self, purpose: StatusPurpose, count: int = 1) -> list[StatusAllocation]: ...

    def get_list(self, list_id: str) -> StatusListState | None: ...

    def set_status(self, list_id: str, index: int, value: bool) -> StatusListState: ...


@dataclass
class InMemoryStatusStore:
    """A thread-safe store in memory: for tests, benchmarks and one-off scripts."""

    length: int = MIN_LENGTH
    randbelow: RandomBelow = secrets.randbelow
    lists: dict[str, StatusListState] = field(default_factory=dict)
    _current: dict[StatusPurpose, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allocate(self, purpose: StatusPurpose, count: int = 1) -> list[StatusAllocation]:
        out: list[StatusAllocation] = []
        with self._lock:
            while len(out) < count:
                state = self._open_list(purpose)
                take = min(count - len(out), state.free)
                out += [StatusAllocation(state.list_id, purpose, i)
                        for i in pick_free_indexes(state, take, self.randbelow)]
        return out

    def _open_list(self, purpose: StatusPurpose) -> StatusListState:
        current = self._current.get(purpose)
        state = self.lists.get(current) if current else None
        if state is None or state.free == 0:
            state = StatusListState.new(purpose, self.length)
            self.lists[state.list_id] = state
            self._current[purpose] = state.list_id
        return state

    def get_list(self, list_id: str) -> StatusListState | None:
        return self.lists.get(list_id)

    def set_status(self, list_id: str, index: int, value: bool) -> StatusListState:
        with self._lock:
            state = self.lists.get(list_id)
            if state is None:
                raise IssuerError(f"no status list {list_id!r}", code="status_list_unknown", status=404)
            apply_status(state, index, value)
            return state


def apply_status(state: StatusListState, index: int, value: bool) -> bool:
    """Set one bit of an allocated index; a revocation cannot be undone. Returns whether anything changed."""
    if not state.allocated.get(index):
        raise IssuerError(f"index {index} of status list {state.list_id} was never allocated",
                          code="status_index_unallocated", status=409)
    current = state.bits.get(index)
    if current == value:
        return False
    if state.purpose is StatusPurpose.REVOCATION and current and not value:
        raise IssuerError("a revocation is final and cannot be undone", code="status_irreversible", status=409)
    state.bits.set(index, value)
    state.version += 1
    return True
