"""The courses domain's door: the courses LEADS generated in an LMS (the award pipeline maps their grades)."""

from __future__ import annotations

from bridge.courses.store import CourseLinks

__all__ = ["CourseLinks"]
