"""The award tests' data space: the GLAM pilot's designs and rules."""

from __future__ import annotations

import pytest

from bridge.dataspace import service as dataspace
from bridge.db import Database


@pytest.fixture
def loaded(db: Database) -> Database:
    dataspace.store(db, dataspace.read_design_set_file(dataspace.SAMPLE_DESIGN_SET))
    return db
