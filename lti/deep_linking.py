"""Deep-linking responses: LtiResourceLink items with line items, and plain links, signed by the tool key."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem

from lti import validation as v
from lti.config import PlatformRegistration, to_pylti_registration
from lti.errors import LtiError, worded
from lti.keys import KeyRing


@dataclass(frozen=True)
class LineItemSpec:
    label: str
    resource_id: str
    tag: str
    score_maximum: float = 100


@dataclass(frozen=True)
class ContentItem:
    """``ltiResourceLink`` (with an optional line item, so the platform creates the grade column) or ``link``."""

    type: str
    title: str
    url: str
    text: str = ""
    line_item: LineItemSpec | None = None
    custom: Mapping[str, str] = field(default_factory=dict)


class _DeepLink(DeepLink):
    def __init__(self, *args: Any, clock: Callable[[], float], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clock = clock

    def get_message_jwt(self, resources: Sequence[DeepLinkResource]) -> dict[str, object]:
        message: dict[str, object] = super().get_message_jwt(resources)
        now = int(self.clock())
        message["iat"], message["exp"] = now, now + 600
        message["azp"] = self._registration.get_client_id()
        if message.get(v.DL_CLAIM + "data") is None:  # the spec: echo data only when the request had it
            message.pop(v.DL_CLAIM + "data", None)
        return message


def _resource(item: ContentItem) -> DeepLinkResource:
    res = DeepLinkResource().set_type(item.type).set_title(item.title).set_url(item.url)
    if item.custom:
        res.set_custom_params(dict(item.custom))
    if item.line_item:
        li = item.line_item
        res.set_lineitem(LineItem().set_score_maximum(li.score_maximum).set_label(li.label)
                         .set_resource_id(li.resource_id).set_tag(li.tag))
    return res


def accepts(claims: Mapping[str, Any], item_type: str) -> bool:
    settings = claims.get(v.DEEP_LINKING_SETTINGS) or {}
    return item_type in (settings.get("accept_types") or [])


def accepts_multiple(claims: Mapping[str, Any]) -> bool:
    """Whether the platform takes several items in one answer (``accept_multiple``, true when absent): Canvas's
    assignment selection and older Moodle activity forms take one, the new activity itself."""
    settings = claims.get(v.DEEP_LINKING_SETTINGS) or {}
    return settings.get("accept_multiple", True) in (True, "true")


def response(claims: Mapping[str, Any], platform: PlatformRegistration, keys: KeyRing,
             items: Sequence[ContentItem], clock: Callable[[], float] = time.time) -> tuple[str, str]:
    """(deep_link_return_url, signed JWT) for a validated deep-linking launch; items of types the platform does
    not accept are dropped (all of them: a clear error), and more than one item for a platform that accepts one
    is refused, never cut silently: the caller offers the items one at a time."""
    settings = claims.get(v.DEEP_LINKING_SETTINGS)
    if claims.get(v.MESSAGE_TYPE) != v.DEEP_LINKING_REQUEST or not isinstance(settings, Mapping):
        raise LtiError("this launch is not a deep-linking request", code="not_deep_linking", status=400)
    refused_types = sorted({i.type for i in items if not accepts(claims, i.type)})
    if refused_types and not any(accepts(claims, i.type) for i in items):
        raise LtiError(f"the platform accepts none of the item types {refused_types}", code="type_not_accepted")
    kept = [i for i in items if accepts(claims, i.type)]
    if len(kept) > 1 and not accepts_multiple(claims):
        raise worded("the platform takes one item here, and %(count)s were chosen: choose one of them (each "
                     "activity is added on its own)", code="single_item_only", count=len(kept))
    link = _DeepLink(to_pylti_registration(platform, keys), str(claims[v.DEPLOYMENT_ID]), dict(settings),
                     clock=clock)
    return str(settings["deep_link_return_url"]), link.get_response_jwt([_resource(i) for i in kept])
