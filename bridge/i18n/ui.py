"""Interface wording of the data-space pages (entity labels come from the data).

One translation system: each key names an English message of the gettext catalogue (``bridge/i18n/locale``); the
pages read ``ui.<key>``, translated to the page language."""

from __future__ import annotations

from bridge.i18n import translations


def _n(text: str) -> str:
    """Marks a message for extraction (``pybabel extract -k _n``); translated when a page is rendered."""
    return text


UI: dict[str, str] = {
    "practices": _n("Practices"),
    "pool": _n("Find collaborators"),
    "verify": _n("Verify a credential"),
    "practices_intro": _n("A practice is a way a piece of work is done. Pick one to see what there is to learn."),
    "no_practices": _n("The data space is empty. Load a design set with “leads data load FILE”."),
    "practice": _n("Practice"),
    "activities": _n("Activities"),
    "competences": _n("Competences"),
    "competence": _n("Competence"),
    "designs": _n("Credential designs"),
    "design": _n("Credential design"),
    "stacked": _n("Stacked credential"),
    "micro": _n("Micro-credential"),
    "stacked_from": _n("Stacked from, in order"),
    "part_of": _n("Part of"),
    "courses": _n("Courses"),
    "course": _n("Course"),
    "levels": _n("Proficiency levels"),
    "level": _n("Level"),
    "required_level": _n("Required level"),
    "required_by": _n("Needed for"),
    "requires": _n("Requires"),
    "outcomes": _n("Learning outcomes"),
    "assessments": _n("Assessments"),
    "passing_threshold": _n("Passing threshold"),
    "assesses": _n("Assesses"),
    "ects": _n("ECTS credit points"),
    "parts_ects": _n("ECTS of the parts"),
    "eqf": _n("EQF level"),
    "language": _n("Language"),
    "lms": _n("Learning platform"),
    "open_course": _n("Open the course"),
    "map": _n("Competence map"),
    "map_alt": _n("Competence map of the practice: practice, its competences, the credentials that certify "
                  "them and the courses that lead to them. The same content is listed on this page."),
    "map_open": _n("Open the map on its own (SVG, with links)"),
    "links": _n("Elsewhere"),
    "key": _n("Key"),
    "uri": _n("Entity URI"),
    "leads_to": _n("Credential designs that certify it"),
    "courses_to": _n("Courses that lead to it"),
    "none": _n("None yet."),
    "skip": _n("Skip to content"),
    "main_nav": _n("Main"),
    "breadcrumb": _n("Breadcrumb"),
    "language_switch": _n("Language"),
    "map_col_practice": _n("Practice"),
    "map_col_competences": _n("Competences"),
    "map_col_designs": _n("Credentials"),
    "map_col_stacks": _n("Stacked credentials"),
    "map_col_courses": _n("Courses"),
    "footer": _n("LEADS — learning data space for the Wikimedia movement"),
    "json": _n("This page as JSON"),
    "my_map": _n("My map"),
    "edit": _n("Edit"),
    "history": _n("History"),
    "history_link": _n("Who changed it, when and why"),
    "via": _n("through"),
    "holders": _n("People who hold it"),
    "holders_link": _n("See the people in the pool who hold this competence, with their certificates"),
    "map_region": _n("The competence map, scrollable"),
    "map_pan": _n("Swipe sideways to see the whole map, or"),
    "api": _n("API for developers"),
}


def ui(lang: str) -> dict[str, str]:
    """The wording for ``lang`` from the catalogue (English for anything untranslated)."""
    gettext = translations(lang).gettext
    return {key: gettext(text) for key, text in UI.items()}
