"""Open edX, live: the course run in Studio, then the generated OLX imported into it (polled until done)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import httpx

from bridge.courses.openedx.client import ImportFailed, StudioClient
from bridge.courses.openedx.olx import CourseKey, build_olx
from bridge.courses.outline import CourseOutline
from bridge.courses.steps import N_, RunState, Step, refuse_if_claimed
from bridge.courses.targets import OpenEdxTarget


class OpenEdxBackend:
    lms = "openedx"

    def __init__(self, when: Callable[[], datetime] | None = None) -> None:
        self.when = when or (lambda: datetime.now(UTC))

    def plan(self, target: OpenEdxTarget, outline: CourseOutline, http: httpx.Client, sleep: Callable[[float], None],
             claimed: Mapping[str, str]) -> list[Step]:
        client = StudioClient(target.studio_url, target.lms_url, target.client_id,
                              target.client_secret.get_secret_value(), http)
        key = CourseKey.for_outline(outline, org=target.org, run=target.run)
        filename = f"{key.number}-{key.run}.tar.gz"

        def course_run(state: RunState) -> None:
            course_id = state.ids.get("course_id", key.course_id)
            # Studio keeps nothing LEADS could mark a run with: the course links say whose run it is
            refuse_if_claimed(claimed, "Open edX", course_id, outline.design_key, target.name)
            existing = client.get_course_run(course_id)
            if existing is not None:
                client.update_course_run(course_id, {"title": outline.title})
            else:
                start = self.when().replace(microsecond=0)
                created = client.create_course_run({
                    "title": outline.title, "org": key.org, "number": key.number, "run": key.run,
                    "pacing_type": "self_paced", "team": [],
                    "schedule": {"start": start.isoformat().replace("+00:00", "Z"), "end": None},
                })
                course_id = str(created.get("id") or key.course_id)
            state.ids["course_id"] = course_id

        def start_import(state: RunState) -> None:
            olx = build_olx(outline, key, self.when())
            state.ids["import_task"] = client.start_import(state.ids["course_id"], filename, olx)
            state.ids["import_file"] = filename

        def wait(state: RunState) -> None:
            try:
                state.ids["import_state"] = client.wait_for_import(
                    state.ids["course_id"], state.ids["import_task"], state.ids["import_file"], sleep,
                    target.poll_seconds, target.poll_limit)
            except ImportFailed:
                # a failed Studio task stays failed: resuming must upload again, not poll the dead task
                state.done = [d for d in state.done if d != "import"]
                state.ids.pop("import_task", None)
                raise

        return [
            Step("course_run", N_("Course run %(course)s in Studio"), course_run, {"course": key.course_id}),
            Step("import", N_("OLX upload to Studio's import"), start_import),
            Step("import_status", N_("Studio import finished"), wait),
        ]

    def remote_id(self, target: OpenEdxTarget, state: RunState) -> str | None:
        value = state.ids.get("course_id")
        return str(value) if value else None

    def url(self, target: OpenEdxTarget, state: RunState) -> str | None:
        course_id = state.ids.get("course_id")
        return f"{target.studio_url.rstrip('/')}/course/{course_id}" if course_id else None
