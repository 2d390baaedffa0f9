"""What every process does before it reads data — web, worker and each command: the data directory, the migrations
(under a lock: replicas starting together take turns), the sample data space, and the codec hooks.

Kept apart from the web application so a command starts without importing FastAPI and every router.
"""

from __future__ import annotations

import logging

from bridge.dataspace.api import load_sample_if_empty, use_dump_decoder
from bridge.db import Database, make_database, upgrade
from bridge.db.engine import migration_lock
from bridge.settings import Settings
from bridge.wikibase.api import decode_dump
from issuer.canon import enable_crosscheck, set_default_canonicaliser

log = logging.getLogger("leads")


def wire_codecs(settings: Settings | None = None) -> None:
    """Hooks every process needs before it reads data: the Wikibase dump reader of the data space and, from the
    settings, the canonicaliser of ``issuer`` (which takes its configuration as parameters, never the environment)."""
    use_dump_decoder(decode_dump)
    if settings is not None:
        set_default_canonicaliser(settings.canonicaliser)
        if settings.canon_crosscheck:
            enable_crosscheck(True)


def prepare(settings: Settings) -> Database:
    """Data directory, migrations, the sample data space; returns the database."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    wire_codecs(settings)
    db = make_database(settings.effective_database_url, **settings.database_pool)
    with migration_lock(db):  # serve and workers starting together: one migrates and loads, the others wait
        upgrade(db, lock=False)
        if settings.load_sample:
            loaded = load_sample_if_empty(db)
            if loaded:
                log.info("loaded the bundled sample data space (%d entities)", loaded)
    return db
