"""LTI Advantage services for a launch the tool validated earlier: grades (AGS) and the roster (NRPS)."""

from __future__ import annotations

from typing import Any

from bridge.errors import LeadsError
from bridge.ltitool.tool import LtiTool
from lti import validation as v
from lti.config import PlatformRegistration
from lti.launch import load_launch
from lti.services import AgsClient, NrpsClient, TokenClient

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
# Context roles that may run the course's LEADS pages (roster, awards, deep linking, course generation)
STAFF_CONTEXT_ROLES = frozenset({"Instructor", "Administrator", "ContentDeveloper"})


def staff_role(role: str) -> bool:
    """One role of an LTI 1.3 launch (Core §A.2): a principal context role of a course's staff, or a system or
    institution *administrator*. Which vocabulary a role comes from matters: an institution's "Instructor" (Canvas
    and Open edX send it for anyone who teaches somewhere, also where they are a student) and a sub-role
    (``membership/Learner#Instructor`` is a kind of learner; Open edX makes forum moderators, who are students,
    ``membership/Instructor#TeachingAssistant`` alone) say nothing of this course. Simple names count as context
    roles, as the spec allows; the LTI 1.1 URNs as their 1.3 equivalents."""
    if role.startswith(LIS):
        vocabulary, _, name = role.removeprefix(LIS).partition("#")
        if vocabulary == "membership":
            return name in STAFF_CONTEXT_ROLES
        return vocabulary in ("system/person", "institution/person") and name == "Administrator"
    if role.startswith("urn:lti:role:ims/lis/"):
        return role.removeprefix("urn:lti:role:ims/lis/") in STAFF_CONTEXT_ROLES
    if role.startswith(("urn:lti:sysrole:ims/lis/", "urn:lti:instrole:ims/lis/")):
        return role.rsplit("/", 1)[-1] in ("Administrator", "SysAdmin")
    return role in STAFF_CONTEXT_ROLES


def is_instructor(claims: dict[str, Any]) -> bool:
    """Whether the launch's person gets the instructor pages (``staff_role``)."""
    roles = claims.get(v.ROLES)
    return isinstance(roles, list) and any(isinstance(role, str) and staff_role(role.strip()) for role in roles)


def launch_scope(claims: dict[str, Any]) -> tuple[str, str | None]:
    """The LMS course a launch comes from (``lti:<issuer>:<context id>``; the user's own when the platform sent no
    context) and the design its link names (custom ``leads_design``; None when it names none)."""
    iss = str(claims.get("iss", ""))
    context = claims.get(v.CONTEXT)
    context_id = context.get("id") if isinstance(context, dict) else None
    owner = f"lti:{iss}:{context_id}" if isinstance(context_id, str) and context_id else \
        f"lti:{iss}:user:{claims.get('sub', '')}"
    custom = claims.get(v.CLAIM + "custom")
    design = custom.get("leads_design") if isinstance(custom, dict) else None
    return owner, design.strip() if isinstance(design, str) and design.strip() else None


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
