"""The editor with a Wikibase: people sign in with the wiki's OAuth 2 (authorization code), their edits are theirs
on the wiki, with summaries; a conflicting edit is refused by the wiki and shown with both versions."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bridge.app import create_app
from tests.bridge.editor import wikiflow
from tests.bridge.wikibase.fake_wikibase import FakeWikibase, running

BASE = "http://testserver"


@pytest.fixture
def fake() -> Iterator[FakeWikibase]:
    with running() as server:
        wikiflow.prepare(server, BASE)
        yield server


@pytest.fixture
def app(fake: FakeWikibase, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(wikiflow.settings(fake, BASE, tmp_path / "var")), follow_redirects=False) as client:
        yield client


def sign_in(app: TestClient, user: str) -> str:
    r = app.get("/edit/signin")
    assert r.status_code == 303 and "/rest.php/oauth2/authorize?" in r.headers["location"]
    back = wikiflow.authorize(r.headers["location"], user)
    assert back.startswith(BASE + "/edit/callback?code=")
    r = app.get(back.removeprefix(BASE))
    assert r.status_code == 303, r.text
    page = app.get("/edit/practice/new").text
    assert f'id="signed-in-as">{user}<' in page
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page)[1]  # type: ignore[index]


def _failure(page: str) -> str:
    """The box saying why nothing was published (the form's English fields are marked lang="en" by design)."""
    return page.split('id="failure"', 1)[1].split("</section>", 1)[0]


def test_edits_are_the_persons_on_the_wiki_and_conflicts_show_both_versions(app: TestClient,
                                                                           fake: FakeWikibase) -> None:
    csrf = sign_in(app, "Alice")
    r = app.post("/edit/practice", data={"csrf": csrf, "key": "editing", "label.en": "Editing",
                                         "activity.1.key": "editing-write", "activity.1.en": "Write",
                                         "summary": "Alice adds a practice", "action": "publish"})
    assert r.status_code == 303, r.text
    assert {s for _, _, s in fake.edits_by("Alice")} == {"Alice adds a practice"}
    hits = app.get("/edit/search", params={"q": "Edit", "lang": "en"}).json()["results"]  # search-as-you-type
    searched = fake.counts["wbsearchentities"]
    anonymous = TestClient(app.app)  # no editor's session (and the app's lifespan left to `app`): no call to the wiki
    refused = anonymous.get("/edit/search", params={"q": "Edit"}, headers={"Accept": "application/json"})
    assert (refused.status_code, refused.json()["error"]) == (401, "sign_in_required")
    assert fake.counts["wbsearchentities"] == searched
    assert [h["label"] for h in hits] == ["Editing"] and hits[0]["id"].startswith("Q")
    assert len({eid for eid, _, _ in fake.edits_by("Alice")}) == 2
    csrf = sign_in(app, "Alice")
    form_page = app.get("/edit/practice/editing").text
    base_rev = re.search(r'name="base_rev" value="([0-9]+)"', form_page)[1]  # type: ignore[index]
    qid = app.get("/api/entities").json()["entities"][1]["wikibase_id"]
    fake.wiki_edit(next(e["wikibase_id"] for e in app.get("/api/entities").json()["entities"]
                        if e["key"] == "editing"),
                   lambda e: e["labels"].update(en={"language": "en", "value": "Wiki editing"}), user="Someone")
    assert qid
    r = app.post("/edit/practice", data={"csrf": csrf, "key": "editing", "label.en": "Editing well",
                                         "base_rev": base_rev, "activity.1.key": "editing-write",
                                         "activity.1.en": "Write", "action": "publish"})
    assert r.status_code == 409, r.text
    assert "Wiki editing" in r.text and "Editing well" in r.text


def test_a_wiki_that_keeps_failing_is_said_in_the_editors_language(app: TestClient, fake: FakeWikibase) -> None:
    """The wiki's refusal reaches the person in Spanish with its values, and nothing of the form is lost on the wiki
    side: the wiki answered 503 to every try, so no item was made."""
    csrf = sign_in(app, "Bob")
    fake.fail_next("503", times=10, action="wbeditentity")
    r = app.post("/edit/practice?lang=es", data={"csrf": csrf, "key": "curating", "label.en": "Curating",
                                                 "activity.1.key": "curating-sort", "activity.1.en": "Sort",
                                                 "action": "publish"}, headers={"Accept": "text/html"})
    assert r.status_code == 502, r.text
    main = _failure(r.text)
    assert f"el Wikibase de {fake.url} no está disponible tras 2 intentos" in main, main
    assert "siguió respondiendo con errores HTTP 5xx" in main and 'lang="en"' not in main
    assert 'value="Curating"' in r.text  # the form comes back as typed
    assert fake.edits_by("Bob") == []


def test_a_wiki_busy_when_the_edit_token_is_fetched_is_not_an_expired_sign_in(app: TestClient,
                                                                               fake: FakeWikibase) -> None:
    """A 503 to the token request said "sign in again" (401): the person's sign-in was fine, the wiki was busy."""
    csrf = sign_in(app, "Bob")
    fake.fail_next("503", action="query")
    r = app.post("/edit/practice?lang=es", data={"csrf": csrf, "key": "curating", "label.en": "Curating",
                                                 "activity.1.key": "curating-sort", "activity.1.en": "Sort",
                                                 "action": "publish"}, headers={"Accept": "text/html"})
    assert r.status_code == 502, r.text
    main = _failure(r.text)
    assert "su inicio de sesión sigue siendo válido" in main and 'lang="en"' not in main, main
    r = app.post("/edit/practice", data={"csrf": csrf, "key": "curating", "label.en": "Curating",
                                         "activity.1.key": "curating-sort", "activity.1.en": "Sort",
                                         "action": "publish"})
    assert r.status_code == 303, r.text  # the same sign-in publishes once the wiki answers again


def test_the_persons_session_gives_up_on_a_wiki_that_never_answers() -> None:
    """wikibaseintegrator fetches edit tokens without a timeout; the person's session bounds every request."""
    import socket

    import requests

    from bridge.editor.wiki import _Bounded

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        session = requests.Session()
        session.mount("http://", _Bounded(0.3))
        with pytest.raises(requests.Timeout):
            session.get(f"http://127.0.0.1:{silent.getsockname()[1]}/w/api.php")


def test_a_publish_cut_short_keeps_the_form_and_publishing_again_makes_no_second_item(app: TestClient,
                                                                                     fake: FakeWikibase) -> None:
    """New items are saved as stubs first; the wiki going down after them used to lose the form (an error page),
    and publishing again tried to make each item a second time, which the wiki refuses (the same label, the same
    empty description): the editor could never publish it."""
    csrf = sign_in(app, "Bob")
    fields = {"csrf": csrf, "key": "curating", "label.en": "Curating", "label.es": "Curaduría",
              "activity.1.key": "curating-sort", "activity.1.en": "Sort", "action": "publish"}
    fake.outage_after = fake.counts["saved"] + 2  # the two stubs are saved, then every request answers 503
    r = app.post("/edit/practice?lang=es", data=fields, headers={"Accept": "text/html"})
    assert r.status_code == 502, r.text
    assert 'id="failure"' in r.text and "Lo que escribió sigue en el formulario" in r.text
    assert 'value="Curaduría"' in r.text and 'value="curating"' in r.text  # the form as typed
    fake.outage_after = None
    r = app.post("/edit/practice", data=fields)
    assert r.status_code == 303, r.text
    made = [eid for eid, _, _ in fake.edits_by("Bob")]
    assert len(set(made)) == 2, made  # one practice and one activity, each completed, none made twice
    page = app.get(r.headers["location"]).text  # no ?lang= on the form's post: the language chosen earlier holds
    assert "Publicado en el wiki con su nombre." in page, page


def _ids(app: TestClient) -> dict[str, str]:
    return {e["key"]: e["wikibase_id"] for e in app.get("/api/entities").json()["entities"]}


def _base_rev(app: TestClient, slug: str, key: str) -> str:
    return re.search(r'name="base_rev" value="([0-9]*)"', app.get(f"/edit/{slug}/{key}").text)[1]  # type: ignore[index]


def _local(app: TestClient, key: str) -> dict[str, Any]:
    from bridge.dataspace.api import EntityRepository

    with app.app.state.db.session() as session:  # type: ignore[attr-defined]
        entity = EntityRepository(session).get(key)
        return entity.model_dump(mode="json") if entity else {}


def _pid(app: TestClient, key: str) -> str:
    from bridge.wikibase.client import WikibaseClient

    settings = app.app.state.settings  # type: ignore[attr-defined]
    return WikibaseClient.from_settings(settings).property_map(settings).pid(key)



def _alice_published(app: TestClient) -> tuple[dict[str, str], str, str, str]:
    """Alice publishes the practice "editing" (linked to Wikidata Q42, one activity): her form, the item, the
    Wikidata-link property and the revision her form is now at."""
    csrf = sign_in(app, "Alice")
    form = {"csrf": csrf, "key": "editing", "label.en": "Editing", "wikidata": "Q42",
            "activity.1.key": "editing-write", "activity.1.en": "Write", "action": "publish"}
    assert app.post("/edit/practice", data=form).status_code == 303
    return form, _ids(app)["editing"], _pid(app, "wikidata-item"), _base_rev(app, "practice", "editing")

def test_publishing_keeps_what_others_changed_on_the_wiki_and_stops_on_the_same_field(app: TestClient,
                                                                                     fake: FakeWikibase) -> None:
    """Publishing compared the form with the wiki only, never with what the form was opened at: a statement
    someone removed on the wiki came back with Alice's unrelated edit, and one changed on both sides was
    overwritten (the wiki replaces a statement by its GUID whatever it holds now)."""
    form, qid, wd, rev = _alice_published(app)
    fake.wiki_edit(qid, lambda e: e["claims"].pop(wd), user="Someone")  # Someone removes the Wikidata link
    r = app.post("/edit/practice", data={**form, "label.en": "Editing well", "base_rev": rev})
    assert r.status_code == 303, r.text
    assert wd not in fake.entities[qid]["claims"], "Someone's removal was undone"
    assert fake.entities[qid]["labels"]["en"]["value"] == "Editing well"
    stored = _local(app, "editing")
    assert stored["wikidata"] is None and stored["labels"]["en"] == "Editing well"  # the local copy is the wiki's

    rev = _base_rev(app, "practice", "editing")
    fake.wiki_edit(qid, lambda e: e["labels"]["en"].update(value="Editing (wiki)"), user="Someone")
    fake.wiki_edit(_ids(app)["editing-write"], lambda e: e["labels"]["en"].update(value="Write (wiki)"),
                   user="Someone")
    saved = fake.counts["saved"]
    r = app.post("/edit/practice", data={**form, "label.en": "Editing better", "wikidata": "Q44", "base_rev": rev,
                                         "activity.1.en": "Write more"})
    assert r.status_code == 409, r.text
    assert fake.counts["saved"] == saved  # nothing written, neither the practice nor the activity
    table = r.text.split('id="conflict"', 1)[1]
    assert "Editing (wiki)" in table and "Editing better" in table
    assert "editing-write" in table and "Write (wiki)" in table and "Write more" in table


def test_a_statement_changed_on_both_sides_is_a_conflict_not_an_overwrite(app: TestClient,
                                                                          fake: FakeWikibase) -> None:
    form, qid, wd, rev = _alice_published(app)

    def q43(entity: dict[str, Any]) -> None:
        entity["claims"][wd][0]["mainsnak"]["datavalue"]["value"] = "Q43"  # an external id

    fake.wiki_edit(qid, q43, user="Someone")
    r = app.post("/edit/practice", data={**form, "wikidata": "Q44", "base_rev": rev})
    assert r.status_code == 409, r.text
    assert fake.entities[qid]["claims"][wd][0]["mainsnak"]["datavalue"]["value"] == "Q43"


def test_an_item_already_on_the_wiki_under_a_new_key_is_not_taken_over(app: TestClient, fake: FakeWikibase) -> None:
    """A new activity whose key someone already made on the wiki (not pulled here), with the same name: it was
    found by its label and sent Alice's version with no base, wiping what was there."""
    from bridge.dataspace.api import Activity, DesignSet, Practice
    from bridge.wikibase.client import WikibaseClient

    csrf = sign_in(app, "Alice")
    form = {"csrf": csrf, "key": "editing", "label.en": "Editing", "activity.1.key": "editing-write",
            "activity.1.en": "Write", "action": "publish"}
    assert app.post("/edit/practice", data=form).status_code == 303
    ids = _ids(app)
    bot = WikibaseClient(fake.url, user_agent="LEADS-tests/0.1 (x@example.org)", user="Leads@bot",
                         password="bot-secret", max_retries=2, backoff_seconds=0.01, timeout=5)
    pm = bot.property_map(app.app.state.settings)  # type: ignore[attr-defined]
    bot.push(DesignSet(entities=[
        Practice(key="editing", labels={"en": "Editing"}, has_part=[{"key": "editing-write", "order": 1}]),
        Activity(key="editing-write", labels={"en": "Write"}, part_of="editing"),
        Activity(key="editing-review", labels={"en": "Review"}, descriptions={"en": "Someone's description"},
                 part_of="editing")]), pm, ids)
    review = WikibaseClient(fake.url, user_agent="x (x@example.org)").key_index(pm)["editing-review"][0]
    rev = _base_rev(app, "practice", "editing")
    r = app.post("/edit/practice", data={**form, "base_rev": rev, "activity.2.key": "editing-review",
                                         "activity.2.en": "Review"})
    assert r.status_code == 409, r.text
    assert fake.entities[review]["descriptions"]["en"]["value"] == "Someone's description"
    assert "editing-review" in r.text and review in r.text


def test_a_form_opened_before_anothers_publish_keeps_their_change(app: TestClient, fake: FakeWikibase) -> None:
    """Alice's form was opened before Bob published through LEADS: the base is the revision her form was opened at
    (read back from the wiki), not the newer record, so what her form never touched stays Bob's."""
    csrf = sign_in(app, "Alice")
    form = {"csrf": csrf, "key": "editing", "label.en": "Editing", "activity.1.key": "editing-write",
            "activity.1.en": "Write", "action": "publish"}
    assert app.post("/edit/practice", data=form).status_code == 303
    alice_rev = _base_rev(app, "practice", "editing")
    bob = TestClient(app.app, follow_redirects=False)
    bob_csrf = sign_in(bob, "Bob")
    r = bob.post("/edit/practice", data={**form, "csrf": bob_csrf, "wikidata": "Q42", "base_rev": alice_rev})
    assert r.status_code == 303, r.text
    reads = fake.counts["query"]
    r = app.post("/edit/practice", data={**form, "label.en": "Editing well", "base_rev": alice_rev})
    assert r.status_code == 303, r.text
    assert fake.counts["query"] > reads  # her revision read back (prop=revisions)
    qid, wd = _ids(app)["editing"], _pid(app, "wikidata-item")
    assert fake.entities[qid]["claims"][wd][0]["mainsnak"]["datavalue"]["value"] == "Q42"
    assert fake.entities[qid]["labels"]["en"]["value"] == "Editing well"


def _bases(page: str) -> dict[str, str]:
    """The base revision the form carries per key: ``base_rev`` for its own entity, ``base_rev.<key>`` for rows."""
    found = dict(re.findall(r'name="base_rev\.([a-z0-9-]+)" value="([0-9]*)"', page))
    found[""] = re.search(r'name="base_rev" value="([0-9]*)"', page)[1]  # type: ignore[index]
    return found


def test_a_conflict_on_an_activity_rebases_that_activity_only_and_publishing_again_succeeds(
        app: TestClient, fake: FakeWikibase) -> None:
    """A conflict on an activity of the practice form rebased the one base revision of the form on the activity's
    revision: the practice was then sent with the activity's revision as its base, and publishing again never
    succeeded. Each item now has its own base revision in the form."""
    csrf = sign_in(app, "Alice")
    form = {"csrf": csrf, "key": "editing", "label.en": "Editing", "activity.1.key": "editing-write",
            "activity.1.en": "Write", "action": "publish"}
    assert app.post("/edit/practice", data=form).status_code == 303
    ids, opened = _ids(app), _bases(app.get("/edit/practice/editing").text)
    assert opened["editing-write"] and opened[""]
    fake.wiki_edit(ids["editing-write"], lambda e: e["labels"]["en"].update(value="Write (wiki)"), user="Someone")
    mine = {**form, "label.en": "Editing well", "activity.1.en": "Write more", "base_rev": opened[""],
            "base_rev.editing-write": opened["editing-write"]}
    r = app.post("/edit/practice?lang=es", data=mine)
    assert r.status_code == 409 and "No se guardó nada" in r.text
    assert fake.entities[ids["editing"]]["labels"]["en"]["value"] == "Editing"  # truly nothing saved
    rebased = _bases(r.text)
    assert rebased["editing-write"] == str(fake.entities[ids["editing-write"]]["lastrevid"])
    assert rebased[""] == opened[""]  # the practice keeps its own base
    r = app.post("/edit/practice", data={**mine, "base_rev": rebased[""],
                                         "base_rev.editing-write": rebased["editing-write"]})
    assert r.status_code == 303, r.text  # after seeing both, publishing again is deliberate
    assert fake.entities[ids["editing-write"]]["labels"]["en"]["value"] == "Write more"
    assert fake.entities[ids["editing"]]["labels"]["en"]["value"] == "Editing well"


def test_a_publish_stopped_half_way_says_what_was_saved_and_records_it(app: TestClient, fake: FakeWikibase) -> None:
    """The wiki went away after the practice was saved: the page said nothing was saved, the local store and the
    sync records kept the old practice, so the next publish took the person's own edit for someone else's."""
    csrf = sign_in(app, "Alice")
    form = {"csrf": csrf, "key": "editing", "label.en": "Editing", "activity.1.key": "editing-write",
            "activity.1.en": "Write", "action": "publish"}
    assert app.post("/edit/practice", data=form).status_code == 303
    ids, opened = _ids(app), _bases(app.get("/edit/practice/editing").text)
    mine = {**form, "label.en": "Editing well", "activity.1.en": "Write more", "base_rev": opened[""],
            "base_rev.editing-write": opened["editing-write"]}
    fake.outage_after = fake.counts["saved"] + 1  # the practice is saved, then the wiki answers 503
    r = app.post("/edit/practice?lang=es", data=mine)
    assert r.status_code == 502, r.text
    box = _failure(r.text)
    assert "Publicado solo en parte" in r.text and "No se publicó nada" not in r.text
    assert "editing" in box and "editing-write" in box
    assert fake.entities[ids["editing"]]["labels"]["en"]["value"] == "Editing well"
    assert _local(app, "editing")["labels"]["en"] == "Editing well"  # what the wiki has is what is stored
    assert _local(app, "editing-write")["labels"]["en"] == "Write"
    practice_rev = str(fake.entities[ids["editing"]]["lastrevid"])
    assert _bases(r.text)[""] == practice_rev and _base_rev(app, "practice", "editing") == practice_rev
    fake.outage_after = None
    r = app.post("/edit/practice", data={**mine, "base_rev": practice_rev})
    assert r.status_code == 303, r.text
    assert fake.entities[ids["editing-write"]]["labels"]["en"]["value"] == "Write more"
    assert _local(app, "editing-write")["labels"]["en"] == "Write more"


def test_removing_a_language_in_the_form_removes_it_on_the_wiki(app: TestClient, fake: FakeWikibase) -> None:
    """Clearing the Spanish name and description said "Published" but sent nothing: the wiki kept both."""
    csrf = sign_in(app, "Alice")
    form = {"csrf": csrf, "key": "editing", "label.en": "Editing", "activity.1.key": "editing-write",
            "activity.1.en": "Write", "action": "publish"}
    r = app.post("/edit/practice", data={**form, "label.es": "Edición", "description.es": "Escribir y corregir"})
    assert r.status_code == 303
    qid = _ids(app)["editing"]
    r = app.post("/edit/practice", data={**form, "base_rev": _base_rev(app, "practice", "editing")})
    assert r.status_code == 303, r.text
    assert "es" not in fake.entities[qid]["labels"] and "es" not in fake.entities[qid]["descriptions"]
    assert _local(app, "editing")["labels"] == {"en": "Editing"} and _local(app, "editing")["descriptions"] == {}


def test_a_new_key_already_on_the_wiki_under_another_name_is_refused_not_made_twice(app: TestClient,
                                                                                   fake: FakeWikibase) -> None:
    """Only an item with the same name was looked for: a key already on the wiki under another name got a second
    item with the same LEADS key, after which every pull of the practice failed ("the key is used twice")."""
    from bridge.dataspace.api import Activity, DesignSet
    from bridge.wikibase.client import WikibaseClient

    csrf = sign_in(app, "Alice")
    form = {"csrf": csrf, "key": "editing", "label.en": "Editing", "activity.1.key": "editing-write",
            "activity.1.en": "Write", "action": "publish"}
    assert app.post("/edit/practice", data=form).status_code == 303
    bot = WikibaseClient(fake.url, user_agent="LEADS-tests/0.1 (x@example.org)", user="Leads@bot",
                         password="bot-secret", max_retries=2, backoff_seconds=0.01, timeout=5)
    pm = bot.property_map(app.app.state.settings)  # type: ignore[attr-defined]
    bot.push(DesignSet(entities=[Activity(key="editing-publish", labels={"en": "Publish"})]), pm)
    saved = fake.counts["saved"]
    r = app.post("/edit/practice?lang=es", data={**form, "base_rev": _base_rev(app, "practice", "editing"),
                                                 "activity.2.key": "editing-publish", "activity.2.en": "Publish it"})
    assert r.status_code == 409, r.text
    [item] = WikibaseClient(fake.url, user_agent="x (x@example.org)").key_index(pm)["editing-publish"]
    assert fake.counts["saved"] == saved  # nothing made, nothing changed
    box = html.unescape(_failure(r.text))
    assert "la clave 'editing-publish' ya la usa en el wiki " + item in box, box


def test_the_conflict_table_speaks_the_pages_language(app: TestClient, fake: FakeWikibase) -> None:
    """On a Spanish page the conflict table said "label (en)", "LEADS Wikidata item" and "(nothing)"."""
    form, qid, wd, rev = _alice_published(app)

    def someone(entity: dict[str, Any]) -> None:
        entity["labels"]["en"]["value"] = "Wiki editing"
        entity["claims"].pop(wd)

    fake.wiki_edit(qid, someone, user="Someone")
    r = app.post("/edit/practice?lang=es", data={**form, "label.en": "Editing well", "wikidata": "Q44",
                                                 "base_rev": rev})
    assert r.status_code == 409, r.text
    table = html.unescape(r.text.split('id="conflict"', 1)[1].split("</section>", 1)[0])
    cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", table)]
    assert cells == ["Nombre (English)", "“Wiki editing”", "“Editing well”",
                     "LEADS elemento de Wikidata", "(nada)", "Q44"], cells
    r = app.post("/edit/practice?lang=en", data={**form, "label.en": "Editing well", "wikidata": "Q44",
                                                 "base_rev": rev})
    table = r.text.split('id="conflict"', 1)[1].split("</section>", 1)[0]
    assert "Name (English)" in table and "LEADS Wikidata item" in table and "(nothing)" in table
