"""Catalogues: every message in the templates and code is translated, and the committed .mo matches its .po."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from bridge.i18n import LOCALE_DIR, gettext_for, negotiate
from bridge.i18n.__main__ import compiled

ROOT = Path(__file__).resolve().parents[3]


def test_compiled_catalogues_are_up_to_date() -> None:
    for po in LOCALE_DIR.glob("*/LC_MESSAGES/certificates.po"):
        assert po.with_suffix(".mo").read_bytes() == compiled(str(po)), "run `uv run python -m bridge.i18n compile`"


def test_every_message_is_translated_into_spanish(tmp_path: Path) -> None:
    pot = tmp_path / "certificates.pot"
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        CommandLineInterface().run([  # type: ignore[no-untyped-call]
            "pybabel", "-q", "extract", "-F", "bridge/i18n/babel.cfg", "-k", "_n", "-k", "t", "-k", "tr:2",
            "-k", "_tr:2", "--no-location", "--omit-header", "--ignore-dirs", ".* _* node_modules var tests",
            "-o", str(pot), ".",
        ])
    finally:
        os.chdir(cwd)
    with pot.open("rb") as fh:
        wanted = {m.id for m in read_po(fh) if m.id}
    with (LOCALE_DIR / "es" / "LC_MESSAGES" / "certificates.po").open("rb") as fh:
        catalog = read_po(fh)
    have = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    assert len(wanted) > 400  # every page: templates/*, pool, awards, courses, LTI, data space, errors
    assert sorted(wanted - have) == []
    for message in catalog:  # placeholders survive translation
        if message.id and "%(" in str(message.id):
            assert sorted(_placeholders(str(message.id))) == sorted(_placeholders(str(message.string)))


def _placeholders(text: str) -> list[str]:
    import re

    return re.findall(r"%\((\w+)\)s", text)


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        (None, None, "en"),
        ("es", "en", "es"),
        ("es-MX", None, "es"),
        ("fr", "fr-FR,es;q=0.8,en;q=0.5", "es"),
        (None, "de, en;q=0.1", "en"),
        (None, "es;q=bad, en;q=0.2", "en"),
    ],
)
def test_language_negotiation(query: str | None, header: str | None, expected: str) -> None:
    assert negotiate(query, header) == expected


def test_gettext_translates() -> None:
    assert gettext_for("es").gettext("Certificate") == "Certificado"
    assert gettext_for("en").gettext("Certificate") == "Certificate"
