"""Moodle, live: category, course (completion on), named sections, and the generated backup for the activities.

Moodle's web services cannot add an ``mod_lti`` activity (docs/decisions/007-moodle-course-route.md), so the
live route creates or updates the course shell and puts the generated .mbz into the token user's private files;
restoring it into the course (merge) adds the graded LTI activities, gradebook and completion criteria.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx

from bridge.courses.moodle.backup import build_mbz
from bridge.courses.moodle.client import MoodleClient, MoodleError
from bridge.courses.moodle.competencies import ensure_competencies, ensure_framework, link_to_course
from bridge.courses.moodle.lang import moodle_languages
from bridge.courses.outline import CourseOutline
from bridge.courses.steps import N_, RunState, Step, refuse_if_claimed
from bridge.courses.targets import MoodleTarget
from bridge.errors import LeadsError


class MoodleBackend:
    lms = "moodle"

    def __init__(self, when: Callable[[], datetime] | None = None) -> None:
        self.when = when or (lambda: datetime.now(UTC))

    def plan(self, target: MoodleTarget, outline: CourseOutline, http: httpx.Client, sleep: Callable[[float], None],
             claimed: Mapping[str, str]) -> list[Step]:
        del sleep
        client = MoodleClient(target.url, target.token.get_secret_value(), http)
        wanted_sections = len(outline.sections)
        chosen = replace(outline, complete_competencies=target.complete_competencies)

        def category(state: RunState) -> None:
            if "category_id" not in state.ids:
                found = client.find_category(target.category)
                state.ids["category_id"] = found if found is not None else client.create_category(target.category)

        def course(state: RunState) -> None:
            marker = f"leads:{outline.design_key}"
            wanted: dict[str, Any] = {
                "fullname": outline.title, "shortname": outline.short_name, "categoryid": state.ids["category_id"],
                "summary": f"<p>{html.escape(outline.summary)}</p>", "summaryformat": 1, "format": "topics",
                "enablecompletion": 1, "idnumber": marker,
            }
            existing = find_course(client, state, outline.short_name, marker, outline.design_key)
            if existing is not None:
                refuse_if_claimed(claimed, "Moodle", str(existing["id"]), outline.design_key, target.name)
            languages = moodle_languages(outline.language)
            written = state.ids.get("course_fields")
            if existing is None:  # (a course the stored id named and an admin deleted is made again)
                fields = {**wanted, "courseformatoptions": [{"name": "numsections", "value": wanted_sections}]}
                state.ids["course_id"], forced = with_language(
                    lambda extra: client.create_course({**fields, **extra}), languages, state)
            else:  # known (or created by an earlier run whose answer was lost): update what the design changed
                course_id = state.ids["course_id"] = int(existing["id"])
                if written is None:  # made before LEADS kept what it wrote, or adopted: keep its place and short name
                    changed = {k: v for k, v in wanted.items() if k not in ("categoryid", "shortname", "idnumber")}
                else:
                    changed = {k: v for k, v in wanted.items()
                               if k not in ("categoryid", "idnumber") and written.get(k) != v}
                if not existing.get("idnumber"):
                    changed["idnumber"] = marker  # never over another ID number: it is often the SIS key
                if changed:
                    client.update_course(course_id, changed)
                forced = written.get("language_forced") if written else None
                if written is None or written.get("language") != outline.language or forced is None:
                    _, forced = with_language(
                        lambda extra: client.update_course(course_id, extra) if extra else None, languages, state)
            state.ids["course_fields"] = {**wanted, "language": outline.language, "language_forced": forced}

        def sections(state: RunState) -> None:
            present = [s for s in client.sections(state.ids["course_id"]) if int(s["section"]) > 0]
            for _ in range(wanted_sections - len(present)):
                client.add_section(state.ids["course_id"])
            if len(present) < wanted_sections:
                present = [s for s in client.sections(state.ids["course_id"]) if int(s["section"]) > 0]
            state.ids["section_ids"] = [int(s["id"]) for s in present[:wanted_sections]]

        def names(state: RunState) -> None:
            """Only the names the design changed since LEADS wrote them: a teacher's renaming stays."""
            written: dict[str, str] = dict(state.ids.get("section_names") or {})
            for section_id, section in zip(state.ids["section_ids"], outline.sections, strict=True):
                if written.get(str(section_id)) != section.title:
                    client.rename_section(section_id, section.title)
                    written[str(section_id)] = section.title
                    state.ids["section_names"] = written

        def competencies(state: RunState) -> None:
            """Frameworks found by ID number (imported from the framework file) or created with the configured
            scale; their competencies linked to the course. A framework neither imported nor creatable is
            reported, not fatal: import the file and run again."""
            missing: list[str] = []
            linked: list[int] = []
            for framework in outline.frameworks:
                try:
                    fid = ensure_framework(client, framework, target.competency_scale_id)
                except LeadsError as exc:
                    if exc.code != "competency_framework_missing":
                        raise
                    missing.append(framework.idnumber)
                    continue
                linked += list(ensure_competencies(client, framework, fid).values())
            if linked:
                link_to_course(client, state.ids["course_id"], linked, target.complete_competencies)
            state.ids["competencies_linked"] = len(linked)
            state.ids["competency_frameworks_missing"] = missing

        def backup(state: RunState) -> None:
            filename = f"leads-{outline.short_name}.mbz"
            who = client.call("core_webservice_get_site_info")
            state.ids["backup_draft_itemid"] = client.upload_to_private_files(filename, build_mbz(chosen,
                                                                                                  self.when()))
            state.ids["backup_file"] = filename
            state.ids["backup_owner"] = f"{who.get('fullname', '')} ({who.get('username', '')})"

        return [
            Step("category", N_("Course category “%(category)s”"), category, {"category": target.category}),
            Step("course", N_("Course with completion tracking"), course),
            Step("sections", N_("%(count)s sections"), sections, {"count": str(wanted_sections)}),
            Step("section_names", N_("Section names"), names),
            Step("competencies", N_("Competency frameworks and the course's competencies"), competencies),
            Step("backup", N_("Backup with the graded LTI activities, in the token user's private files"), backup),
        ]

    def remote_id(self, target: MoodleTarget, state: RunState) -> str | None:
        course_id = state.ids.get("course_id")
        return str(course_id) if course_id is not None else None

    def url(self, target: MoodleTarget, state: RunState) -> str | None:
        course_id = state.ids.get("course_id")
        return f"{target.url.rstrip('/')}/course/view.php?id={course_id}" if course_id is not None else None


_n = str  # marks msgids for extraction (a page translates them)
NOT_OURS = _n("Moodle course %(course_id)s has the short name '%(shortname)s' but the ID number '%(idnumber)s', so it "
              "is not the course LEADS made for design '%(design)s'; LEADS neither updates it nor changes its ID "
              "number. Give that course another short name, or empty its ID number if LEADS should update it, then "
              "run again.")


def find_course(client: MoodleClient, state: RunState, shortname: str, marker: str,
                design: str) -> dict[str, Any] | None:
    """The course of this design: by the id LEADS stored, then by its ID number ``leads:<key>`` (an admin may rename
    the short name), then by short name, adopted only if its ID number is empty or ours."""
    found = client.find_course("id", int(state.ids["course_id"])) if "course_id" in state.ids else None
    found = found or client.find_course("idnumber", marker)
    if found is None and (found := client.find_course("shortname", shortname)) is not None \
            and found.get("idnumber") not in (None, "", marker):
        raise LeadsError(NOT_OURS, code="moodle_course_not_ours", status=409,
                         params={"course_id": found["id"], "shortname": shortname, "idnumber": found["idnumber"],
                                 "design": design})
    if found is None or int(found["id"]) != state.ids.get("course_id"):  # what LEADS wrote was into another course
        state.ids.pop("course_fields", None)
        state.ids.pop("section_names", None)
    return found


def with_language(attempt: Callable[[dict[str, Any]], Any], languages: list[str],
                  state: RunState) -> tuple[Any, str | None]:
    """``attempt`` with the course language forced to the first pack Moodle accepts; if it accepts none (not
    installed, or no ``moodle/course:setforcedlanguage``), without: the course then follows each user's language,
    and the run's report says which pack to install (``language_not_forced``)."""
    refused: MoodleError | None = None
    for code in languages:
        try:
            result = attempt({"lang": code})
        except MoodleError as exc:
            refused = refused or exc
            continue
        state.ids.pop("language_not_forced", None)
        return result, code
    result = attempt({})
    if refused is not None:
        state.ids["language_not_forced"] = {"language": languages[0], "reason": f"{refused.errorcode}: "
                                            f"{refused.params.get('message', '')}"}
    return result, None
