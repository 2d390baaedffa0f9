"""Status indexes in the database: random, never reused — across sessions, and enforced by constraints."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from bridge.credentials.status_store import DbStatusStore
from bridge.credentials.tables import IssuedCredentialRow
from bridge.db import Database
from issuer.errors import IssuerError
from issuer.status import MIN_LENGTH, StatusPurpose


def test_allocations_across_sessions_are_random_and_never_repeat(db: Database) -> None:
    seen: list[int] = []
    lists = set()
    for _ in range(5):
        with db.session() as session:
            allocations = DbStatusStore(session, "leads").allocate(StatusPurpose.REVOCATION, 200)
        seen += [a.index for a in allocations]
        lists |= {a.list_id for a in allocations}
    assert len(seen) == 1000 == len(set(seen))
    assert len(lists) == 1
    assert seen != sorted(seen) and max(seen) - min(seen) > MIN_LENGTH // 2
    with db.session() as session:
        state = DbStatusStore(session, "leads").get_list(lists.pop())
    assert state is not None and state.allocated_count == 1000
    assert sorted(i for i in range(MIN_LENGTH) if state.allocated.get(i)) == sorted(seen)


def test_organisations_and_purposes_have_their_own_lists(db: Database) -> None:
    with db.session() as session:
        a = DbStatusStore(session, "leads").allocate(StatusPurpose.REVOCATION)[0]
        b = DbStatusStore(session, "leads").allocate(StatusPurpose.SUSPENSION)[0]
        c = DbStatusStore(session, "wikimedia-es").allocate(StatusPurpose.REVOCATION)[0]
    assert len({a.list_id, b.list_id, c.list_id}) == 3


def test_a_rolled_back_allocation_stores_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError), db.session() as session:
        DbStatusStore(session, "leads").allocate(StatusPurpose.REVOCATION, 3)
        raise RuntimeError("signing failed")
    with db.session() as session:
        allocation = DbStatusStore(session, "leads").allocate(StatusPurpose.REVOCATION)[0]
        state = DbStatusStore(session, "leads").get_list(allocation.list_id)
    assert state is not None and state.allocated_count == 1


def test_status_changes_bump_the_version_and_revocation_stays(db: Database) -> None:
    with db.session() as session:
        allocation = DbStatusStore(session, "leads").allocate(StatusPurpose.REVOCATION)[0]
    with db.session() as session:
        state = DbStatusStore(session, "leads").set_status(allocation.list_id, allocation.index, True)
        assert state.version == 2
    with pytest.raises(IssuerError, match="final"), db.session() as session:
        DbStatusStore(session, "leads").set_status(allocation.list_id, allocation.index, False)
    with db.session() as session:
        stored = DbStatusStore(session, "leads").get_list(allocation.list_id)
    assert stored is not None and stored.bits.get(allocation.index)


def test_the_database_refuses_two_credentials_on_one_index(db: Database) -> None:
    def row(credential_id: str) -> IssuedCredentialRow:
        return IssuedCredentialRow(id=credential_id, design_key="d", issuer_slug="leads", learner_name="A",
                                   format="ob3", document={}, revocation_list="l1", revocation_index=7,
                                   revoked=False, suspended=False)

    with db.session() as session:
        session.add(row("00000000-0000-0000-0000-000000000001"))
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(row("00000000-0000-0000-0000-000000000002"))


def test_concurrent_allocations_and_revocations_lose_nothing(db: Database) -> None:
    import threading
    import time

    with db.session() as session:
        revoked = DbStatusStore(session, "leads").allocate(StatusPurpose.REVOCATION, 20)
    got: list[int] = []
    errors: list[BaseException] = []

    def allocate() -> None:
        try:
            for _ in range(10):
                with db.session() as session:
                    allocation = DbStatusStore(session, "leads").allocate(StatusPurpose.REVOCATION)[0]
                    time.sleep(0.002)  # widen the window between read and commit
                got.append(allocation.index)
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)

    def revoke() -> None:
        try:
            for allocation in revoked:
                with db.session() as session:
                    DbStatusStore(session, "leads").set_status(allocation.list_id, allocation.index, True)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=allocate) for _ in range(4)] + [threading.Thread(target=revoke)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(got) == 40 == len(set(got)) and not set(got) & {a.index for a in revoked}
    with db.session() as session:
        state = DbStatusStore(session, "leads").get_list(revoked[0].list_id)
    assert state is not None and state.allocated_count == 60
    assert sorted(state.bits.set_indexes()) == sorted(a.index for a in revoked)
