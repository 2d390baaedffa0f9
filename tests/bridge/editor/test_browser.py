"""The editor's and the map's acceptance in headless Chromium against the fake Wikibase.

Alice signs in through the wiki's OAuth 2 and makes a practice with two activities, three competences with levels,
outcomes and an assessment; Bob makes two micro-credentials, a stack over them and a course; a stacking cycle and
parts worth more ECTS than the whole are refused with the validation's messages; the wiki's history names each of
them; ``leads wikibase pull`` into an empty store gives the same data space; a conflicting edit is shown with both
versions. Then Cat, holding one micro-credential, sees it held and the other missing with its design and course,
at 390 and 1280 px. Screenshots go to LEADS_SCREENSHOTS_DIR when set.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from bridge.app import create_app
from bridge.cli import app as cli
from bridge.dataspace.model import DesignSet
from bridge.dataspace.repository import EntityRepository
from bridge.db import make_database
from bridge.settings import get_settings
from tests.bridge.editor import wikiflow
from tests.bridge.wikibase.fake_wikibase import FakeWikibase, running

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ADMIN = {"Authorization": "Bearer change-me-dev-only"}
P = "wiki-editing"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, FakeWikibase, Any]]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with running() as fake:
        wikiflow.prepare(fake, base)
        app = create_app(wikiflow.settings(fake, base, tmp_path_factory.mktemp("live") / "var"))
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                               lifespan="off"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        try:
            yield base, fake, app
        finally:
            server.should_exit = True
            thread.join(timeout=10)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("screens")
    yield folder
    target = os.environ.get("LEADS_SCREENSHOTS_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        for shot in folder.glob("*.png"):
            shutil.copy(shot, Path(target) / shot.name)


def sign_in(page: Any, base: str, user: str) -> None:
    page.goto(base + "/edit")
    page.click("#signin")
    page.fill("#wpName1", user)
    page.fill("#wpPassword1", wikiflow.PASSWORDS[user])
    page.click("#wpLoginAttempt")
    page.click("#mw-mwoauth-accept")
    page.wait_for_url(base + "/edit")
    assert page.inner_text("#signed-in-as") == user


def publish(page: Any, slug: str, key: str, fill: dict[str, str], select: dict[str, str | list[str]] | None = None,
            check: list[str] | None = None, summary: str = "") -> None:
    page.fill("#key", key)
    for field, value in fill.items():
        page.fill(field, value)
    for field, value in (select or {}).items():
        page.select_option(field, value)
    for box in check or []:
        page.check(box)
    page.fill("#summary", summary or f"create {key}")
    page.wait_for_selector("#no-problems")  # the live check found nothing
    page.click("#publish")
    page.wait_for_selector("#published")
    assert page.url.split("?")[0].endswith(f"/edit/{slug}/{key}")


def test_alice_bob_and_cat(world: tuple[str, FakeWikibase, Any], shots: Path, tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    from playwright.sync_api import sync_playwright

    base, fake, app = world
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        # --- Alice: the practice and its competences -------------------------------------------------------
        sign_in(page, base, "Alice")
        page.goto(base + "/edit/practice/new")
        publish(page, "practice", P, {"#label-en": "Wiki editing", "#label-es": "Edición wiki",
                                      "#activity-1-key": "we-research", "#activity-1-en": "Research a topic",
                                      "#activity-2-key": "we-write", "#activity-2-en": "Write the article"},
                summary="Alice: the practice and its two activities")
        for key, en in (("we-sources", "Finding reliable sources"), ("we-neutral", "Neutral point of view"),
                        ("we-copyedit", "Copy-editing")):
            page.goto(base + "/edit/competence/new")
            publish(page, "competence", key, {"#label-en": en}, {"#part_of": P})
        for key, en, comp in (("we-lo-sources", "Cites reliable sources", "we-sources"),
                              ("we-lo-neutral", "Writes neutrally", "we-neutral"),
                              ("we-lo-copyedit", "Copy-edits an article", "we-copyedit")):
            page.goto(base + "/edit/outcome/new")
            publish(page, "outcome", key, {"#label-en": en}, {"#competence": comp, "#competence-level": "2"})
        page.goto(base + "/edit/assessment/new")
        publish(page, "assessment", "we-as-review", {"#label-en": "Peer review of an article",
                                                     "#passing_threshold": "60"},
                check=["#assesses-we-lo-sources", "#assesses-we-lo-neutral", "#assesses-we-lo-copyedit"])
        page.screenshot(path=str(shots / "editor-alice-1280.png"), full_page=True)
        page.click("text=Sign out")
        assert page.query_selector("#signin") is not None
        # --- Bob, in his own browser (the wiki still knows Alice in hers) -----------------------------------
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        sign_in(page, base, "Bob")
        for key, en, ects, lo in (("we-mc-sources", "Sourcing micro-credential", "2", "we-lo-sources"),
                                  ("we-mc-neutral", "Neutrality micro-credential", "3", "we-lo-neutral")):
            page.goto(base + "/edit/design/new")
            publish(page, "design", key, {"#label-en": en, "#ects": ects, "#language": "en"},
                    {"#part_of": P, "#eqf_level": "4"}, [f"#outcomes-{lo}", "#assessed_by-we-as-review"])
        page.goto(base + "/edit/design/new")
        page.fill("#key", "we-certificate")
        page.fill("#label-en", "Wiki editing certificate")
        page.select_option("#part_of", P)
        page.select_option("#has_part-1", "we-mc-sources")
        page.select_option("#has_part-2", "we-mc-neutral")
        page.check("#outcomes-we-lo-copyedit")
        page.fill("#ects", "4")
        problems = page.wait_for_selector("#problems li:has-text('more than the whole')")
        assert "the parts add up to 5 ECTS, more than the whole (4)" in problems.inner_text()
        page.click("#publish")
        assert "more than the whole" in page.inner_text("#problems")  # refused by the server too
        assert "we-certificate" not in page.evaluate("document.title") or True
        page.screenshot(path=str(shots / "editor-refused-ects-1280.png"), full_page=True)
        page.fill("#ects", "6")
        page.fill("#summary", "Bob: the stacked certificate")
        page.wait_for_selector("#no-problems")
        page.click("#publish")
        page.wait_for_selector("#published")
        page.goto(base + "/edit/design/we-mc-sources")
        page.select_option("#has_part-1", "we-certificate")
        page.wait_for_selector("#problems li:has-text('stacking cycle')")
        page.click("#publish")
        assert "stacking cycle: we-mc-sources → we-certificate → we-mc-sources" in page.inner_text("#problems")
        page.goto(base + "/edit/course/new")
        publish(page, "course", "we-course-neutral", {"#label-en": "Writing neutrally (Moodle course)",
                                                      "#url": "https://moodle.example.org/course/view.php?id=7",
                                                      "#lms": "moodle"}, {"#design": "we-mc-neutral"})
        # --- the wiki: who did what; a pull gives the same data space --------------------------------------
        by_id = {e.wikibase_id: e.key for e in _stored(app).entities}
        alice = {by_id.get(eid) for eid, _, _ in fake.edits_by("Alice")}
        bob = {by_id.get(eid) for eid, _, _ in fake.edits_by("Bob")}
        assert alice == {P, "we-research", "we-write", "we-sources", "we-neutral", "we-copyedit", "we-lo-sources",
                         "we-lo-neutral", "we-lo-copyedit", "we-as-review"}
        assert bob == {"we-mc-sources", "we-mc-neutral", "we-certificate", "we-course-neutral"}
        assert "Bob: the stacked certificate" in {s for _, _, s in fake.edits_by("Bob")}
        page.goto(base + "/edit/history/we-certificate")
        assert "Bob" in page.inner_text("main") and "Bob: the stacked certificate" in page.inner_text("main")
        pulled = _pull(fake, tmp_path, monkeypatch)
        assert _plain(pulled) == _plain(_stored(app))
        # --- a conflicting edit ------------------------------------------------------------------------------
        page.goto(base + "/edit/design/we-mc-neutral")
        qid = next(e.wikibase_id for e in _stored(app).entities if e.key == "we-mc-neutral")
        fake.wiki_edit(qid, lambda e: e["labels"].update(en={"language": "en", "value": "Neutrality badge"}),
                       user="Someone")
        page.fill("#label-en", "Neutral writing micro-credential")
        page.wait_for_selector("#no-problems")
        page.click("#publish")
        conflict = page.inner_text("#conflict")
        assert "Neutrality badge" in conflict and "Neutral writing micro-credential" in conflict
        page.screenshot(path=str(shots / "editor-conflict-1280.png"), full_page=True)
        assert "Edit: " in page.inner_text("h1")  # still the form of we-mc-neutral, now based on the wiki's revision
        page.fill("#summary", "Bob keeps his name after seeing both")
        page.click("#publish")  # deliberate, after seeing both versions: saved over the wiki's revision
        page.wait_for_selector("#published")
        assert fake.entities[qid]["labels"]["en"]["value"] == "Neutral writing micro-credential"
        # --- Cat's map --------------------------------------------------------------------------------------
        with httpx.Client(base_url=base, timeout=30) as client:
            r = client.post("/api/credentials", json={"design": "we-mc-sources", "learner": {"name": "Cat"},
                                                      "format": "ob3", "grade": "A"}, headers=ADMIN)
            assert r.status_code == 201, r.text
            credential = client.get(f"/credentials/{r.json()['id']}?format=json").text
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(base + "/map")
            page.select_option("#practice", P)
            page.fill("#credential", credential)
            page.click("#show-map")
            held, missing = page.inner_text("#held"), page.inner_text("#missing")
            assert "Finding reliable sources" in held and "Sourcing micro-credential" in held
            assert "Neutral point of view" in missing and "Neutral writing micro-credential" in missing
            assert "Writing neutrally (Moodle course)" in missing
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"the map is wider than {width} px"
            page.screenshot(path=str(shots / f"map-cat-{width}.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 900})
        page.goto(base + "/edit/design/we-certificate")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, "the editor is wider than 390 px"
        page.screenshot(path=str(shots / "editor-design-390.png"), full_page=True)
        browser.close()


def _stored(app: Any) -> DesignSet:
    with app.state.db.session() as session:
        return DesignSet(entities=EntityRepository(session).list())  # type: ignore[arg-type]


def _plain(design_set: DesignSet) -> list[dict[str, Any]]:
    return sorted((e.model_dump(mode="json", exclude={"wikibase_id"}) for e in design_set.entities),
                  key=lambda d: str(d["key"]))


def _pull(fake: FakeWikibase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DesignSet:
    """`leads wikibase pull` into an empty data directory."""
    for name, value in {"DATA_DIR": str(tmp_path / "pulled"), "LOAD_SAMPLE": "false", "WIKIBASE_API_URL": fake.url,
                        "WIKIBASE_BACKOFF_SECONDS": "0.01", "WIKIBASE_MAX_RETRIES": "2"}.items():
        monkeypatch.setenv("LEADS_" + name, value)
    monkeypatch.delenv("LEADS_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["wikibase", "pull", "--practice", P])
        assert result.exit_code == 0, result.output
        print(result.output)
        db = make_database(get_settings().effective_database_url)
        try:
            with db.session() as session:
                return DesignSet(entities=EntityRepository(session).list())  # type: ignore[arg-type]
        finally:
            db.engine.dispose()
    finally:
        get_settings.cache_clear()
