"""LTI Dynamic Registration 1.0: read the platform's openid-configuration, register, keep client id + deployment."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from lti.config import PlatformRegistration, trust_conflicts
from lti.errors import LtiError, worded
from lti.outbound import MESSAGES, call, json_of
from lti.services import SCOPE_LINEITEM, SCOPE_NRPS, SCOPE_RESULT, SCOPE_SCORE

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
CLOSE_MESSAGE = {"subject": "org.imsglobal.lti.close"}
CONFLICT = "registration_conflict"  # a wording of ``lti.outbound.MESSAGES``, translated by the application
EXISTS = "registration_exists"  # as CONFLICT


@dataclass(frozen=True)
class ToolDescription:
    base_url: str
    name: str = "LEADS"
    description: str = ""
    logo_uri: str | None = None

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def registration_request(self) -> dict[str, Any]:
        domain = urlsplit(self.base_url).netloc
        body: dict[str, Any] = {
            "application_type": "web",
            "response_types": ["id_token"],
            "grant_types": ["implicit", "client_credentials"],
            "initiate_login_uri": self.url("/lti/login"),
            "redirect_uris": [self.url("/lti/launch")],
            "client_name": self.name,
            "jwks_uri": self.url("/lti/jwks"),
            "token_endpoint_auth_method": "private_key_jwt",
            "scope": " ".join([SCOPE_LINEITEM, SCOPE_RESULT, SCOPE_SCORE, SCOPE_NRPS]),
            TOOL_CONFIGURATION: {
                "domain": domain,
                "description": self.description,
                "target_link_uri": self.url("/lti/launch"),
                "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
                "messages": [
                    {"type": "LtiDeepLinkingRequest", "target_link_uri": self.url("/lti/launch"),
                     "label": f"{self.name}: add a credential design"},
                    {"type": "LtiResourceLinkRequest", "target_link_uri": self.url("/lti/launch")},
                ],
            },
        }
        if self.logo_uri:
            body["logo_uri"] = self.logo_uri
        return body


def _fail(message: str, status: int = 400) -> LtiError:
    return LtiError(message, code="registration_failed", status=status)


def _netloc(url: str) -> str | None:
    try:
        return urlsplit(url).netloc or None
    except ValueError:  # "http://[::1"
        return None


def _is_page_url(url: str) -> bool:
    """An http(s) URL with a host, as httpx will read it."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.host)


def register(http: httpx.Client, tool: ToolDescription, openid_configuration: str,
             registration_token: str | None, known: Iterable[PlatformRegistration] = ()) -> PlatformRegistration:
    """The platform registration obtained by dynamic registration (blocking: call from a worker thread).

    ``known`` are the registrations already stored: an issuer among them is registered again only with the same
    key set and endpoints (``trust_conflicts``), checked before the platform is asked for a client id. The
    configuration URL proves only its host, so anyone able to serve JSON there could otherwise claim the
    issuer. For the same reason an answer naming a client already known is refused (409): its registration
    endpoint could otherwise rewrite that registration (token audience, name, a deployment of its own)."""
    known = list(known)
    if not _is_page_url(openid_configuration):
        raise worded("openid_configuration must be an http(s) URL given by the platform, not %(url)s",
                     code="registration_failed", url=openid_configuration)
    response = call("platform configuration", openid_configuration,
                    lambda: http.get(openid_configuration, headers={"Accept": "application/json"}))
    config = json_of("platform configuration", openid_configuration, response, served_as_json=True)
    if not isinstance(config, dict):
        raise _fail(f"the platform configuration at {openid_configuration} is not a JSON object", 502)
    missing = [k for k in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")
               if not isinstance(config.get(k), str)]
    if missing:
        raise _fail(f"the platform configuration lacks {', '.join(missing)}")
    issuer = config["issuer"]
    if _netloc(issuer) != _netloc(openid_configuration):
        raise _fail(f"the configuration's issuer {issuer!r} is not on the host of {openid_configuration!r}")
    trust = (config["jwks_uri"], config["authorization_endpoint"], config["token_endpoint"])
    conflicts = trust_conflicts(known, issuer, trust)
    if conflicts:
        differ = [(had, new) for had, new in zip(conflicts[0].trust(), trust, strict=True) if had != new]
        params = {"issuer": issuer, "known": " · ".join(had for had, _ in differ),
                  "offered": " · ".join(new for _, new in differ)}
        english = MESSAGES[CONFLICT] % params  # the application words it from the template key, with the params
        raise LtiError(english, code=CONFLICT, status=409, template=CONFLICT, params=params)
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    endpoint = config["registration_endpoint"]
    answer = call("registration", endpoint, lambda: http.post(endpoint, json=tool.registration_request(),
                                                              headers=headers))
    registered = json_of("registration", endpoint, answer)
    if not isinstance(registered, dict):
        raise _fail("the platform's registration answer is not a JSON object", 502)
    client_id = registered.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise _fail("the platform's registration answer has no client_id", 502)
    if any(r.issuer == issuer and r.client_id == client_id for r in known):
        params = {"issuer": issuer, "client_id": client_id}
        english = MESSAGES[EXISTS] % params
        raise LtiError(english, code=EXISTS, status=409, template=EXISTS, params=params)
    tool_configuration = registered.get(TOOL_CONFIGURATION) or {}
    if not isinstance(tool_configuration, dict):
        raise worded("the platform's registration answer carries a tool configuration that is not a JSON object",
                     code="registration_failed", status=502)
    deployment = tool_configuration.get("deployment_id")
    platform = config.get(PLATFORM_CONFIGURATION)  # optional, for the name only: another shape is left out
    product = platform.get("product_family_code") if isinstance(platform, dict) else None
    audience = config.get("authorization_server")
    return PlatformRegistration(
        issuer=issuer, client_id=client_id, auth_login_url=config["authorization_endpoint"],
        auth_token_url=config["token_endpoint"], key_set_url=config["jwks_uri"],
        deployment_ids=(str(deployment),) if isinstance(deployment, str | int) and deployment != "" else (),
        name=product if isinstance(product, str) and product else str(_netloc(issuer)),
        auth_audience=audience if isinstance(audience, str) and audience else None)
