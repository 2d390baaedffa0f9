"""Live course creation as a list of named, idempotent steps that can be resumed after a failure.

State has two parts: ``ids`` (what exists remotely: category, course, import task; kept across runs so that
nothing is created twice) and ``done`` (the steps finished in the current run; a run that failed resumes after
its last finished step, a finished run starts over and updates the course in place).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from bridge.courses.outline import CourseOutline
from bridge.errors import LeadsError


@dataclass
class RunState:
    ids: dict[str, Any] = field(default_factory=dict)
    done: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"ids": dict(self.ids), "done": list(self.done)}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None, resume: bool) -> RunState:
        data = data or {}
        return cls(ids=dict(data.get("ids", {})), done=list(data.get("done", [])) if resume else [])


def N_(text: str) -> str:  # gettext's name for "mark for the catalogue; translate when shown"
    return text


@dataclass(frozen=True)
class Step:
    """``label`` is an English message with ``%(name)s`` placeholders filled from ``params``: the job page shows it
    in the reader's language (bridge/templates/courses/job.html), the CLI and logs in English (``text``)."""

    name: str
    label: str
    run: Callable[[RunState], None]
    params: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.label % self.params if self.params else self.label


class Progress(Protocol):
    def __call__(self, step: Step, status: str) -> None: ...


def no_progress(step: Step, status: str) -> None:
    del step, status


class CourseBackend(Protocol):
    """An LMS that LEADS can create courses on (Moodle, Open edX); one instance per LMS kind."""

    lms: str

    def plan(self, target: Any, outline: CourseOutline, http: httpx.Client, sleep: Callable[[float], None],
             claimed: Mapping[str, str]) -> list[Step]:
        """``claimed``: remote course id → the other design whose course it is on this target (never adopt those)."""
        ...

    def remote_id(self, target: Any, state: RunState) -> str | None: ...

    def url(self, target: Any, state: RunState) -> str | None: ...


_n = str  # marks msgids for extraction (a page translates them)
STOPPED = _n("course creation stopped at step '%(step)s': %(reason)s. Created so far: %(created)s. Fix the cause and "
             "run the same command again to resume.")


OWNED = _n("%(lms)s course %(course)s is the course of design '%(owner)s' on target '%(target)s' (LEADS created it "
           "for that design); design '%(design)s' is not written into it, and nothing in it was changed. Give one of "
           "the two designs its own course: for Open edX another run or org on a second target, for Moodle another "
           "short name.")


class CourseOfAnotherDesign(LeadsError):
    """The course found for this design is recorded as another design's: updating it would overwrite that course."""

    def __init__(self, lms: str, course: str, owner: str, design: str, target: str) -> None:
        super().__init__(OWNED, code="course_of_another_design", status=409,
                         params={"lms": lms, "course": course, "owner": owner, "design": design, "target": target})


def refuse_if_claimed(claimed: Mapping[str, str], lms: str, course: str, design: str, target: str) -> None:
    owner = claimed.get(course)
    if owner is not None and owner != design:
        raise CourseOfAnotherDesign(lms, course, owner, design, target)


class CourseCreationFailed(LeadsError):
    """A step failed; what was created so far is listed and kept, and running again resumes there."""

    def __init__(self, step: str, cause: Exception, state: RunState) -> None:
        reason = str(cause)
        super().__init__(
            STOPPED,
            code="course_creation_failed", status=getattr(cause, "status", 502) if isinstance(cause, LeadsError)
            else 502, params={"step": step, "reason": reason, "created": state.ids or "nothing"},
        )
        self.step = step
        self.state = state
        self.extra = {"failed_step": step, "created": dict(state.ids), "done": list(state.done),
                      "cause": getattr(cause, "code", cause.__class__.__name__), "reason": reason}
        if isinstance(cause, LeadsError):  # the job page words the reason in its reader's language
            self.extra |= {"reason_template": cause.template, "reason_params": kept(cause.params)}


def kept(params: dict[str, Any]) -> dict[str, str | int | float]:
    """An error's values as a job keeps them (JSON): numbers as they are, anything else as its text."""
    return {k: v if isinstance(v, int | float | str) else str(v) for k, v in params.items()}


def run_steps(steps: list[Step], state: RunState, progress: Progress,
              checkpoint: Callable[[RunState], None]) -> RunState:
    """Run the steps not yet done; ``checkpoint`` persists the state after each one (and on failure)."""
    for step in steps:
        if step.name in state.done:
            progress(step, "skipped")
            continue
        progress(step, "running")
        try:
            step.run(state)
        except LeadsError as exc:
            progress(step, "failed")
            checkpoint(state)
            raise CourseCreationFailed(step.name, exc, state) from exc
        except httpx.HTTPError as exc:
            progress(step, "failed")
            checkpoint(state)
            raise CourseCreationFailed(step.name, exc, state) from exc
        state.done.append(step.name)
        checkpoint(state)
        progress(step, "done")
    return state
