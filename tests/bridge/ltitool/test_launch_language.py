"""A launch's pages speak the person's language on the platform (``launch_presentation.locale``, as Moodle sends the
user's) even when the browser asks for another; what deep linking puts in the course (link titles, gradebook
columns) is in the instructor's language too. A language chosen by a link still wins."""

from __future__ import annotations

from bridge.i18n import LANGUAGES
from tests.bridge.ltitool.conftest import Peers, peers  # noqa: F401  - the loopback platform + tool fixture
from tests.lti.platform import INSTRUCTOR, LEARNER, PendingLaunch, form_fields

RIGHTS_ES = "Microcredencial: Derechos y licencias para subidas GLAM"
QUIZ_ES = "Cuestionario sobre derechos"


def test_deep_linking_in_the_instructors_language_puts_spanish_titles_in_the_course(peers: Peers) -> None:  # noqa: F811
    assert "es" in LANGUAGES
    peers.http.headers["Accept-Language"] = "en-US,en;q=0.9"  # the browser says English, Moodle says Spanish
    r, _ = peers.launch(PendingLaunch("deeplink", "teacher-1", [INSTRUCTOR], locale="es_mx"))
    assert r.status_code == 200, r.text
    assert '<html lang="es"' in r.text and "Elegir un diseño de credencial" in r.text
    assert RIGHTS_ES in r.text  # the data space's Spanish name of the design
    launch_id = r.text.split("/lti/deep-link/", 1)[1].split('"', 1)[0].split("?", 1)[0]
    assert f'action="/lti/deep-link/{launch_id}?lang=es"' in r.text  # the choice keeps the language
    action, fields = form_fields(peers.http.post(f"{peers.tool_base}/lti/deep-link/{launch_id}?lang=es",
                                                 data={"design": "glam-mc-rights"}).text)
    assert peers.http.post(action, data=fields).status_code == 200
    items = peers.platform.deep_link_items[-1]
    titles = [i["title"] for i in items]
    assert QUIZ_ES in titles and f"Solicitar su certificado: {RIGHTS_ES}" in titles, titles
    quiz = next(i for i in items if i["title"] == QUIZ_ES)
    assert quiz["lineItem"]["label"] == QUIZ_ES and quiz["lineItem"]["resourceId"] == "glam-as-rights-quiz"


def test_a_learners_page_follows_the_platform_locale_and_its_links_carry_it(peers: Peers) -> None:  # noqa: F811
    peers.http.headers["Accept-Language"] = "en"
    r, _ = peers.launch(PendingLaunch("resource", "learner-1", [LEARNER], locale="es",
                                      custom={"leads_action": "claim", "leads_design": "glam-mc-rights"}))
    assert r.status_code == 200 and '<html lang="es"' in r.text, r.text[:300]
    assert RIGHTS_ES in r.text and "?lang=es" in r.text  # links keep Spanish where the frame drops cookies
    r, _ = peers.launch(PendingLaunch("resource", "learner-1", [LEARNER], locale="fr_FR",
                                      custom={"leads_action": "claim", "leads_design": "glam-mc-rights"}))
    assert '<html lang="en"' in r.text  # a language LEADS does not speak: the browser's, as before
