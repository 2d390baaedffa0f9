"""Catalogues: every message in the templates and code is translated, and the committed .mo matches its .po."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bridge.i18n import LOCALE_DIR, gettext_for, negotiate
from bridge.i18n.__main__ import compiled, extracted, updated


def test_compiled_catalogues_are_up_to_date() -> None:
    for po in LOCALE_DIR.glob("*/LC_MESSAGES/certificates.po"):
        assert po.with_suffix(".mo").read_bytes() == compiled(str(po)), "run `uv run python -m bridge.i18n compile`"


def test_every_message_is_translated_into_spanish() -> None:
    wanted = {m.id for m in extracted() if m.id}
    with (LOCALE_DIR / "es" / "LC_MESSAGES" / "certificates.po").open("rb") as fh:
        catalog = read_po(fh)
    have = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    assert len(wanted) > 400  # every page: templates/*, pool, awards, courses, LTI, data space, errors
    assert sorted(wanted - have) == []
    unused = sorted(str(m.id) for m in catalog if m.id and m.id not in wanted)
    assert unused == [], "shown nowhere: run `uv run python -m bridge.i18n update`"
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


def test_update_keeps_every_translation_shown_and_changes_nothing_when_current(tmp_path: Path) -> None:
    """The committed catalogue is what ``python -m bridge.i18n update`` makes of it (sorted, nothing to merge); a
    message no page shows is dropped and a new one arrives untranslated, the rest keep their translations."""
    po = LOCALE_DIR / "es" / "LC_MESSAGES" / "certificates.po"
    template = extracted()
    assert updated(po, template) == po.read_bytes(), "run `uv run python -m bridge.i18n update`"
    stale = tmp_path / "certificates.po"
    stale.write_bytes(po.read_bytes().replace(b'msgid "Awarded to"', b'msgid "Awarded to (old wording)"'))
    with stale.open("rb") as fh:
        before = {m.id: m.string for m in read_po(fh) if m.id}
    merged = tmp_path / "merged.po"
    merged.write_bytes(updated(stale, template))
    with merged.open("rb") as fh:
        after = {m.id: m.string for m in read_po(fh) if m.id}
    assert "Awarded to (old wording)" not in after and after["Awarded to"] == ""
    assert all(after[k] == v for k, v in before.items() if k in after)
    assert "%(host)s refused the %(what)s request: HTTP %(status)s %(detail)s." in after  # lti/outbound.py's
