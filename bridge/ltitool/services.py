"""LTI Advantage services for a launch the tool validated earlier: grades (AGS) and the roster (NRPS)."""

from __future__ import annotations

from typing import Any

from bridge.errors import LeadsError
from bridge.ltitool.tool import LtiTool
from lti import validation as v
from lti.config import PlatformRegistration
from lti.launch import load_launch
from lti.services import AgsClient, NrpsClient, TokenClient

STAFF_ROLES = frozenset({"Instructor", "Administrator", "ContentDeveloper", "TeachingAssistant"})


def is_instructor(claims: dict[str, Any]) -> bool:
    """Context roles (and system/institution administrators) that get the instructor pages."""
    for role in claims.get(v.ROLES) or []:
        name = str(role).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        if name in STAFF_ROLES:
            return True
    return False


def launch_for(tool: LtiTool, launch_id: str) -> tuple[dict[str, Any], PlatformRegistration]:
    """The stored claims of a launch and the registration of the platform that sent it."""
    claims = load_launch(tool.context, launch_id)
    auds = v.audiences(claims)
    azp = claims.get("azp")
    client = azp if isinstance(azp, str) else (auds[0] if auds else None)
    platform = tool.config.find(str(claims.get("iss")), client)
    if platform is None:
        raise LeadsError("the platform of this launch is no longer registered", code="unknown_platform", status=404)
    return claims, platform


def _tokens(tool: LtiTool, platform: PlatformRegistration) -> TokenClient:
    return TokenClient(platform, tool.keys, tool.http, tool.tokens, tool.context.clock)


def ags(tool: LtiTool, launch_id: str) -> AgsClient:
    claims, platform = launch_for(tool, launch_id)
    endpoint = claims.get(v.AGS_ENDPOINT)
    if not isinstance(endpoint, dict):
        raise LeadsError("the platform offers no grade service (AGS) for this link; enable “accept grades from the "
                         "tool” in the platform's tool settings", code="no_ags", status=409)
    return AgsClient(endpoint, _tokens(tool, platform))


def nrps(tool: LtiTool, launch_id: str) -> NrpsClient:
    claims, platform = launch_for(tool, launch_id)
    claim = claims.get(v.NRPS)
    if not isinstance(claim, dict):
        raise LeadsError("the platform offers no roster service (NRPS) for this course; enable “IMS LTI Names and "
                         "Role Provisioning” in the platform's tool settings", code="no_nrps", status=409)
    return NrpsClient(claim, _tokens(tool, platform))
