"""Manual registration, shared by the admin page and ``leads lti add-platform``: checked before it is stored."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from bridge.errors import Problem, ValidationFailed
from lti.config import PlatformRegistration


def registration_from_fields(issuer: str, client_id: str, auth_login_url: str, auth_token_url: str,
                             key_set_url: str, deployment_ids: Iterable[str], name: str = "",
                             auth_audience: str | None = None) -> PlatformRegistration:
    problems: list[Problem] = []
    fields = {"issuer": issuer, "auth_login_url": auth_login_url, "auth_token_url": auth_token_url,
              "key_set_url": key_set_url}
    for field_name, value in fields.items():
        parts = urlsplit(value.strip())
        if parts.scheme not in ("https", "http") or not parts.netloc:
            problems.append(Problem("platform", field_name, "%(value)s is not an http(s) URL; copy it from the "
                                    "platform's tool registration page", {"value": repr(value)}))
    if not client_id.strip():
        problems.append(Problem("platform", "client_id", "the client id the platform gave LEADS is required"))
    deployments = tuple(d.strip() for d in deployment_ids if d.strip())
    if not deployments:
        problems.append(Problem("platform", "deployment_ids", "at least one deployment id is required (Moodle "
                                "shows it in the tool's details; Open edX uses the one in the LTI component)"))
    if problems:
        raise ValidationFailed("the platform registration is incomplete; nothing was stored", problems)
    return PlatformRegistration(issuer=issuer.strip(), client_id=client_id.strip(),
                                auth_login_url=auth_login_url.strip(), auth_token_url=auth_token_url.strip(),
                                key_set_url=key_set_url.strip(), deployment_ids=deployments,
                                name=name.strip() or urlsplit(issuer.strip()).netloc, auth_audience=auth_audience)
