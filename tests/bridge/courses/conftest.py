"""The pilot data space and its certificate outline, shared by the course tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bridge.courses.outline import CourseOutline, build_outline
from bridge.dataspace.model import EntityBase
from bridge.dataspace.service import SAMPLE_DESIGN_SET, read_design_set_file
from tests.bridge.courses.fakes import FakeMoodle, serve

PILOT = "glam-archive-to-commons-certificate"
BASE = "https://leads.example.org"


@pytest.fixture(scope="session")
def pilot_entities() -> dict[str, EntityBase]:
    return dict(read_design_set_file(SAMPLE_DESIGN_SET).by_key())


@pytest.fixture(scope="session")
def pilot_outline(pilot_entities: dict[str, EntityBase]) -> CourseOutline:
    return build_outline(PILOT, pilot_entities, BASE)


@pytest.fixture
def moodle() -> Iterator[tuple[FakeMoodle, str]]:
    fake = FakeMoodle()
    with serve(fake) as url:
        yield fake, url


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client
