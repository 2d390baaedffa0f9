"""Moodle, live: category, course (completion on), named sections, and the generated backup for the activities.

Moodle's web services cannot add an ``mod_lti`` activity (docs/decisions/007-moodle-course-route.md), so the
live route creates or updates the course shell and puts the generated .mbz into the token user's private files;
restoring it into the course (merge) adds the graded LTI activities, gradebook and completion criteria.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx

from bridge.courses.moodle.backup import build_mbz
from bridge.courses.moodle.client import MoodleClient
from bridge.courses.moodle.competencies import ensure_competencies, ensure_framework, link_to_course
from bridge.courses.outline import CourseOutline
from bridge.courses.steps import N_, RunState, Step
from bridge.courses.targets import MoodleTarget
from bridge.errors import LeadsError


class MoodleBackend:
    lms = "moodle"

    def __init__(self, when: Callable[[], datetime] | None = None) -> None:
        self.when = when or (lambda: datetime.now(UTC))

    def plan(self, target: MoodleTarget, outline: CourseOutline, http: httpx.Client,
             sleep: Callable[[float], None]) -> list[Step]:
        del sleep
        client = MoodleClient(target.url, target.token.get_secret_value(), http)
        wanted = len(outline.sections)
        chosen = replace(outline, complete_competencies=target.complete_competencies)

        def category(state: RunState) -> None:
            if "category_id" not in state.ids:
                found = client.find_category(target.category)
                state.ids["category_id"] = found if found is not None else client.create_category(target.category)

        def course(state: RunState) -> None:
            fields: dict[str, Any] = {
                "fullname": outline.title, "shortname": outline.short_name, "categoryid": state.ids["category_id"],
                "summary": f"<p>{html.escape(outline.summary)}</p>", "summaryformat": 1, "format": "topics",
                "lang": outline.language, "enablecompletion": 1, "idnumber": f"leads:{outline.design_key}",
            }
            existing = client.find_course(outline.short_name)
            if existing is not None:  # known (or created by an earlier run whose answer was lost): update
                state.ids["course_id"] = int(existing["id"])
                client.update_course(state.ids["course_id"], fields)
            else:
                fields["courseformatoptions"] = [{"name": "numsections", "value": wanted}]
                state.ids["course_id"] = client.create_course(fields)

        def sections(state: RunState) -> None:
            present = [s for s in client.sections(state.ids["course_id"]) if int(s["section"]) > 0]
            for _ in range(wanted - len(present)):
                client.add_section(state.ids["course_id"])
            if len(present) < wanted:
                present = [s for s in client.sections(state.ids["course_id"]) if int(s["section"]) > 0]
            state.ids["section_ids"] = [int(s["id"]) for s in present[:wanted]]

        def names(state: RunState) -> None:
            for section_id, section in zip(state.ids["section_ids"], outline.sections, strict=True):
                client.rename_section(section_id, section.title)

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
            Step("sections", N_("%(count)s sections"), sections, {"count": str(wanted)}),
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
