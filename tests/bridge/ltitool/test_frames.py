"""The LTI tool's own pages and platform errors speak Spanish too, and their scripts are static files."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient

from bridge.i18n import gettext_for
from bridge.ltitool.frames import PAGES, render_page
from lti.outbound import MESSAGES, WHAT

TEMPLATES = Path(__file__).resolve().parents[3] / "bridge" / "templates" / "lti"
STATIC = TEMPLATES.parent / "static" / "lti"


def test_every_platform_wording_has_a_spanish_translation_with_the_same_placeholders() -> None:
    es = gettext_for("es").gettext
    assert [m for m in [*MESSAGES.values(), *WHAT] if es(m) == m] == []
    for text in MESSAGES.values():
        names = set(re.findall(r"%\((\w+)\)s", text))
        assert set(re.findall(r"%\((\w+)\)s", es(text))) == names
        assert es(text) % dict.fromkeys(names, "x")


def test_every_string_of_the_tool_pages_is_translated_and_every_script_exists() -> None:
    es = gettext_for("es").gettext
    for name in PAGES:
        source = (TEMPLATES / f"frame_{name}.html").read_text(encoding="utf-8")
        strings = re.findall(r'_\("([^"]+)"\)', source)
        assert strings and [s for s in strings if es(s) == s] == [], name
        assert (STATIC / f"{name.replace('_', '-')}.js").is_file()


def test_the_recovery_page_in_spanish_has_no_inline_script() -> None:
    app = FastAPI()

    @app.get("/p")
    def recover(request: Request) -> Response:
        return render_page(request, "recover", {"state": "s", "key": "k"})

    page = TestClient(app).get("/p", headers={"Accept-Language": "es"}).text
    assert "Un paso más para abrir LEADS" in page and "Abrir LEADS en una ventana nueva" in page
    assert '<script src="/static/lti/recover.js"></script>' in page
    assert re.findall(r"<script(?![^>]*(?:src=|type=\"application/json\"))", page) == []
