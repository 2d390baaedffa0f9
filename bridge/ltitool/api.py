"""The LTI tool's door: the tool of this installation, its launches, roles and the grade service, for the course,
award and pool pages."""

from __future__ import annotations

from fastapi import Request

from bridge.errors import LeadsError
from bridge.ltitool.services import ags, is_instructor, launch_for, launch_scope, nrps
from bridge.ltitool.tool import LaunchListener, LtiTool


def lti_tool(request: Request) -> LtiTool:
    """The installation's LTI tool (built by the composition root); a 404 when LTI is not set up."""
    tool: LtiTool | None = getattr(request.app.state, "lti", None)
    if tool is None:
        raise LeadsError("LTI is not set up on this installation", code="lti_not_configured", status=404)
    return tool


__all__ = ["LaunchListener", "LtiTool", "ags", "is_instructor", "launch_for", "launch_scope", "lti_tool", "nrps"]
