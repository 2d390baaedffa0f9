"""The chosen language sticks (cookie), the switch keeps the query, errors are pages for people and JSON for
programs, and Babel formats dates and numbers per language."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi.testclient import TestClient

from bridge.app import create_app
from bridge.db import Database
from bridge.i18n import environment, language_name, longdate, longdatetime, number
from bridge.settings import Settings

JSON = {"Accept": "application/json"}


def _client(settings: Settings, db: Database) -> TestClient:
    settings.load_sample = True
    return TestClient(create_app(settings))


def test_a_chosen_language_sticks_on_later_pages(settings: Settings, db: Database) -> None:
    with _client(settings, db) as client:
        first = client.get("/?lang=es")
        assert '<html lang="es">' in first.text and "leads_lang=es" in first.headers["set-cookie"]
        later = client.get("/pool")  # no ?lang=: the cookie decides
        assert '<html lang="es">' in later.text and "Encontrar colaboradores por competencia verificada" in later.text
        assert '<html lang="es">' in client.get("/practices").text
        assert "set-cookie" not in client.get("/?lang=es", headers=JSON).headers  # JSON answers stay cookie-free
        client.get("/?lang=en")
        assert '<html lang="en">' in client.get("/pool").text


def test_the_switch_keeps_the_query(settings: Settings, db: Database) -> None:
    with _client(settings, db) as client:
        page = client.get("/pool?competence=glam-copyright-assessment&level=2&lang=es").text
        assert 'href="/pool?competence=glam-copyright-assessment&amp;level=2&amp;lang=en" lang="en"' in page


def test_unknown_addresses_get_a_page_with_a_way_on_and_json_for_programs(settings: Settings, db: Database) -> None:
    with _client(settings, db) as client:
        page = client.get("/no/such/page?lang=es", headers={"Accept": "text/html"})
        assert page.status_code == 404 and "No hay ninguna página en esta dirección" in page.text
        assert 'href="/verify?lang=es"' in page.text and 'href="/?lang=es"' in page.text
        assert "not_found" not in page.text and '"detail"' not in page.text
        assert client.get("/no/such/page", headers=JSON).json()["error"] == "not_found"
        assert client.get("/no/such/page").headers["content-type"].startswith("text/html")  # a browser's */*


def test_course_generation_speaks_to_people_before_anyone_signs_in(settings: Settings, db: Database) -> None:
    with _client(settings, db) as client:
        page = client.get("/courses/generate?lang=es")
        assert page.status_code == 401 and "Contraseña de administración" in page.text
        assert "LEADS_ADMIN_TOKEN" not in page.text and "Bearer" not in page.text and 'role="alert"' not in page.text


def test_dates_numbers_and_languages_follow_the_page_language() -> None:
    assert longdate(date(2026, 12, 3), "es") == "3 de diciembre de 2026"
    assert longdate("2026-12-03T10:00:00Z", "en") == "December 3, 2026"
    assert longdatetime(datetime(2026, 12, 3, 13, 45, tzinfo=UTC), "es") == "3 de diciembre de 2026, 13:45 UTC"
    assert (number(12.5, "es"), number(12.5, "en")) == ("12,5", "12.5")
    assert language_name("es", "en") == "Spanish" and language_name("en", "es") == "inglés"
    assert environment("es").from_string("{{ 1234.5|number }}").render() == "1.234,5"
