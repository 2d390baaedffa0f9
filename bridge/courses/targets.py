"""LMS sites a course can be created on, configured by the operator (``settings.courses``, handed down by the
composition root).

``LEADS_COURSE_TARGETS`` holds JSON, or ``LEADS_COURSE_TARGETS_FILE`` names a JSON file, mapping a target name
to its site::

    {"uni-moodle": {"lms": "moodle", "url": "https://moodle.example.org", "token": "…", "category": "LEADS"},
     "edx": {"lms": "openedx", "studio_url": "https://studio.example.org", "lms_url": "https://lms.example.org",
             "client_id": "…", "client_secret": "…", "org": "LEADS", "run": "2026"}}
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, TypeAdapter, ValidationError

from bridge.errors import LeadsError, NotFound, Problem, ValidationFailed
from bridge.settings import CourseSettings


class MoodleTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lms: Literal["moodle"] = "moodle"
    name: str = ""
    url: str = Field(description="the Moodle site root, e.g. https://moodle.example.org")
    token: SecretStr = Field(description="a web-service token of the person who restores the backup (see "
                                         "docs/courses.md: its private files receive the .mbz)")
    category: str = "LEADS"
    competency_scale_id: int | None = Field(default=None, description="a site scale with the data space's "
                                            "proficiency levels: lets the web services create the frameworks")
    complete_competencies: bool = Field(default=False, description="completing the course (an activity) "
                                        "completes its competencies")


class OpenEdxTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lms: Literal["openedx"] = "openedx"
    name: str = ""
    studio_url: str
    lms_url: str = Field(description="where /oauth2/access_token lives (the LMS)")
    client_id: str
    client_secret: SecretStr
    org: str = "LEADS"
    run: str = "run1"
    poll_seconds: float = 2.0
    poll_limit: int = 150


Target = Annotated[MoodleTarget | OpenEdxTarget, Field(discriminator="lms")]
_targets = TypeAdapter(dict[str, Target])


def parse_targets(data: object, source: str) -> dict[str, MoodleTarget | OpenEdxTarget]:
    try:
        targets = _targets.validate_python(data)
    except ValidationError as exc:
        said = [str(e["msg"]) for e in exc.errors()]  # pydantic's words (English), not messages to extract
        problems = [Problem(str(e["loc"][0]) if e["loc"] else source,
                            ".".join(str(x) for x in e["loc"][2:]) or "target", text)
                    for e, text in zip(exc.errors(), said, strict=True)]
        raise ValidationFailed("%(source)s: course targets are not valid", problems,
                               params={"source": source}) from None
    for name, target in targets.items():
        target.name = name
    return targets


def load_targets(settings: CourseSettings) -> dict[str, MoodleTarget | OpenEdxTarget]:
    """The targets of ``LEADS_COURSE_TARGETS``, else of the file ``LEADS_COURSE_TARGETS_FILE`` names, else none."""
    if settings.targets:
        source, text = "LEADS_COURSE_TARGETS", settings.targets
    elif settings.targets_file:
        source = str(settings.targets_file)
        try:
            text = settings.targets_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise LeadsError("%(source)s: cannot read the course targets file (%(strerror)s)",
                             code="targets_unreadable", params={"source": source, "strerror": exc.strerror}) from None
    else:
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LeadsError("%(source)s: not JSON (%(msg)s at line %(lineno)s, column %(colno)s)",
                         code="invalid_json",
                         params={"source": source, "msg": exc.msg, "lineno": exc.lineno, "colno": exc.colno}) from None
    return parse_targets(data, source)


def get_target(name: str, targets: dict[str, MoodleTarget | OpenEdxTarget]) -> MoodleTarget | OpenEdxTarget:
    if name not in targets:
        known = ", ".join(sorted(targets)) or "none configured"
        raise NotFound("no course target '%(name)s' (known: %(known)s); configure LEADS_COURSE_TARGETS or "
                       "LEADS_COURSE_TARGETS_FILE", code="target_not_found", params={"name": name, "known": known})
    return targets[name]
