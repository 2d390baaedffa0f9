"""Every credential canonicalised by the issuer tests is also canonicalised by the pyld reference; the fast
canonicaliser raises on any difference (so "byte-identical on every credential the suite issues" is checked)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from issuer.canon import enable_crosscheck


@pytest.fixture(autouse=True, scope="session")
def _crosscheck_canonicalisers() -> Iterator[None]:
    enable_crosscheck(True)
    yield
    enable_crosscheck(False)
