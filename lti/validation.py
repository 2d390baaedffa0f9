"""Checks pylti1p3 leaves out or words vaguely: algorithm, audience and azp, token times, required claims.

Pure functions over the decoded header and body, with the clock passed in, so each refusal has its own code. Each
refusal is a template with its values (``refused(code, template, **params)``), so the application words it in the
reader's language (the catalogue extracts this file).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lti.errors import refused

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"
MESSAGE_TYPE = CLAIM + "message_type"
VERSION = CLAIM + "version"
DEPLOYMENT_ID = CLAIM + "deployment_id"
TARGET_LINK_URI = CLAIM + "target_link_uri"
RESOURCE_LINK = CLAIM + "resource_link"
ROLES = CLAIM + "roles"
CONTEXT = CLAIM + "context"
DEEP_LINKING_SETTINGS = DL_CLAIM + "deep_linking_settings"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"

ALLOWED_ALGS = frozenset({"RS256", "RS384", "RS512"})
MAX_TOKEN_AGE = 3600  # seconds: an id_token older than this is refused even when its exp says otherwise


def check_header(header: Mapping[str, Any]) -> tuple[str, str]:
    """The (kid, alg) to look up; ``alg: none`` and every HMAC algorithm (key confusion) are refused here."""
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALLOWED_ALGS:
        raise refused("unsupported_algorithm", "the id_token is signed with alg %(alg)s; LTI 1.3 requires an RSA "
                      "signature (RS256) made with a key published in the platform's JWKS", alg=repr(alg))
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise refused("missing_kid", "the id_token header has no kid, so the platform key cannot be chosen")
    return kid, alg


def audiences(body: Mapping[str, Any]) -> list[str]:
    aud = body.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list) and all(isinstance(a, str) for a in aud):
        return list(aud)
    return []


def check_audience(body: Mapping[str, Any], client_id: str) -> None:
    auds = audiences(body)
    if client_id not in auds:
        raise refused("invalid_audience", "the id_token audience %(auds)s does not contain this tool's client id "
                      "%(client_id)s at %(iss)s", auds=str(auds), client_id=repr(client_id), iss=repr(body.get("iss")))
    azp = body.get("azp")
    if (len(auds) > 1 or azp is not None) and azp != client_id:
        raise refused("invalid_azp", "the id_token azp %(azp)s is not this tool's client id %(client_id)s; with "
                      "several audiences azp must name the tool", azp=repr(azp), client_id=repr(client_id))


def check_times(body: Mapping[str, Any], now: float, leeway: int) -> None:
    exp, iat = body.get("exp"), body.get("iat")
    if not isinstance(exp, int | float) or not isinstance(iat, int | float):
        raise refused("missing_claim", "the id_token must carry numeric exp and iat claims", status=400)
    if exp < now - leeway:
        raise refused("token_expired", "the id_token expired %(seconds)s s ago; launch again from the platform",
                      seconds=int(now - exp))
    if iat > now + leeway:
        raise refused("token_not_yet_valid", "the id_token iat is %(seconds)s s in the future; check the "
                      "platform's clock", seconds=int(iat - now))
    if iat < now - MAX_TOKEN_AGE - leeway:
        raise refused("token_expired", "the id_token was issued %(seconds)s s ago (more than %(limit)s s); launch "
                      "again from the platform", seconds=int(now - iat), limit=MAX_TOKEN_AGE)


def check_required_claims(body: Mapping[str, Any]) -> str:
    """The message type, once every claim the LTI core and deep-linking specs require is present."""
    missing = [name for name in ("iss", "aud", "nonce", MESSAGE_TYPE, VERSION, DEPLOYMENT_ID)
               if body.get(name) in (None, "")]
    message_type = body.get(MESSAGE_TYPE)
    if message_type == RESOURCE_LINK_REQUEST:
        link = body.get(RESOURCE_LINK)
        if not isinstance(link, Mapping) or not link.get("id"):
            missing.append(RESOURCE_LINK + ".id")
        if not body.get(TARGET_LINK_URI):
            missing.append(TARGET_LINK_URI)
        if not isinstance(body.get(ROLES), list):
            missing.append(ROLES)
    elif message_type == DEEP_LINKING_REQUEST:
        settings = body.get(DEEP_LINKING_SETTINGS)
        if not isinstance(settings, Mapping) or not settings.get("deep_link_return_url"):
            missing.append(DEEP_LINKING_SETTINGS + ".deep_link_return_url")
        if not isinstance(body.get(ROLES), list):
            missing.append(ROLES)
    if missing:
        raise refused("missing_claim", "the id_token lacks required claim(s): %(claims)s", status=400,
                      claims=", ".join(missing))
    context = body.get(CONTEXT)
    if context is not None and not (isinstance(context, Mapping) and isinstance(context.get("id"), str)
                                    and context["id"]):
        raise refused("invalid_claim", "the id_token's context claim must be an object with a string id (LTI 1.3 "
                      "Core §5.4.1); the platform sent something else", status=400)
    if body.get(VERSION) != "1.3.0":
        raise refused("unsupported_version", "LTI version %(version)s is not supported (1.3.0 is)", status=400,
                      version=repr(body.get(VERSION)))
    if message_type not in (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST):
        raise refused("unsupported_message_type", "message type %(type)s is not handled by this tool", status=400,
                      type=repr(message_type))
    return str(message_type)
