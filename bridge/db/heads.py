"""The migration heads of a current database, with no SQLAlchemy import (``leads verify`` reads the embedded SQLite
file with the standard library when it stands at these)."""

from __future__ import annotations

#: The head revision of each domain's migration branch: a database that stands at exactly these needs no migration,
#: checked without reading a migration script (part of every command's start). tests/bridge/db/test_heads.py holds
#: it equal to the scripts' heads, so a new migration fails that test until it is added here; a stale list would
#: only cost a slower start (Alembic runs and finds nothing to do), never a skipped migration.
HEADS = frozenset({
    "0110_pool_recheck", "0240_awards_poll_per_design", "0320_credentials_issuer_designs", "0500_lti",
    "0700_admin_sessions", "0700_trust", "0710_wallet_token_one_holder", "0800_leases", "0800_ops",
    "0810_course_links_owner", "0810_maps_kept_for_a_while", "0820_pool_empty_profiles",
})
SELECT_HEADS = "SELECT version_num FROM alembic_version"
