"""``one_of`` on PostgreSQL under a cached generic plan: the lookup of a page of learners reads their rows through
the index, not every row of the table. psycopg prepares a statement run five times and the server may keep a
generic plan; one made while the table was small (a course's first grade poll, before any award) stays in use until
the table is analysed again, and for ``= ANY(array parameter)`` it was a full scan testing each row against every
element: the second poll of a 10,000-learner course took 12 s in these lookups instead of 0.1 s."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql

from bridge.awards.tables import Award
from bridge.db import Database
from bridge.db.bulk import insert_rows, one_of

LEARNERS, ACHIEVEMENTS = 10_000, 4  # a cohort of the stack: four awards each


def _removed_by_filter(node: dict[str, Any]) -> int:
    return int(node.get("Rows Removed by Filter", 0)) + sum(_removed_by_filter(n) for n in node.get("Plans", []))


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_a_page_of_learners_is_looked_up_in_the_index_under_a_plan_made_when_the_table_was_empty(db: Database) -> None:
    page = [f"lms:u{i}" for i in range(0, LEARNERS, 20)]
    array = "{" + ",".join(page) + "}"  # EXECUTE in EXPLAIN takes no bound parameters: the page as a literal
    with db.session() as session:
        stmt = select(Award.learner, Award.achievement).where(one_of(session, Award.learner, page),
                                                              Award.state != "revoked")  # as evaluate_many asks
    names: list[str] = []
    sql = re.sub(r"%\((\w+)\)s", lambda m: f"${names.append(m.group(1)) or len(names)}",
                 str(stmt.compile(dialect=postgresql.psycopg.dialect())))
    assert len(names) == 2, sql
    with db.engine.connect() as conn:  # one server session: the prepared statement and its plan live in it
        conn.execute(text("SET plan_cache_mode = force_generic_plan"))
        conn.execute(text(f"PREPARE leads_probe(varchar[], varchar) AS {sql}"))
        conn.execute(text(f"EXECUTE leads_probe('{array}', 'revoked')"))  # the plan, made on the empty table
        conn.commit()
        with db.session() as session:  # a cohort arrives (no ANALYZE yet, as right after a big intake)
            insert_rows(session, Award, [dict(id=f"{i:028d}{a:04d}", learner=f"lms:u{i}", design="d",
                                              achievement=f"a{a}", context="c", state="issued", generation=0)
                                         for i in range(LEARNERS) for a in range(ACHIEVEMENTS)])
        [[plan]] = conn.execute(text(f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE leads_probe('{array}', 'revoked')"))
        conn.execute(text("DEALLOCATE leads_probe"))
        conn.commit()
    root = (plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]
    assert root["Actual Rows"] == ACHIEVEMENTS * len(page)
    assert _removed_by_filter(root) < len(page), json.dumps(root, indent=1)[:3000]  # not the whole table
