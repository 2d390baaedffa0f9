"""LEADS goes beyond pylti1p3's public API in ``lti/launch.py`` and ``lti/adapters.py`` (decision 006): the fork is
pinned with an upper bound, and every protected attribute relied on is checked here against the installed, pinned
version, so an upgrade that renames one fails this test instead of a launch in production."""

from __future__ import annotations

import inspect
import re
import tomllib
from importlib import metadata
from pathlib import Path

from pylti1p3.cookie import CookieService
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.oidc_login import OIDCLogin

from lti.adapters import FastAPIRequest, RequestData
from lti.launch import StrictMessageLaunch, ToolContext

ROOT = Path(__file__).resolve().parents[2]

#: Decision 006 lists these; keep the three in step.
MESSAGE_LAUNCH_METHODS = ("_get_request_param", "_get_id_token", "validate_state", "validate_jwt_format",
                          "validate_registration", "validate_jwt_signature", "validate_deployment",
                          "validate_message", "validate_nonce", "save_launch_data", "get_public_key",
                          "get_launch_id", "get_launch_data")
MESSAGE_LAUNCH_ATTRIBUTES = ("_request", "_jwt", "_validated", "_session_service")


def _pin() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return next(d for d in project["dependencies"] if d.startswith("pylti1p3next"))


def test_the_fork_is_pinned_with_an_upper_bound_and_installed_inside_it() -> None:
    pin = _pin()
    low, high = re.search(r">=([\d.]+)", pin), re.search(r",<([\d.]+)", pin)
    assert low and high, f"pylti1p3next needs a lower and an upper bound: {pin}"
    installed = tuple(int(x) for x in metadata.version("pylti1p3next").split(".")[:3])
    assert tuple(int(x) for x in low.group(1).split(".")) <= installed < tuple(int(x) for x in high.group(1).split("."))


def test_every_protected_member_leads_relies_on_exists_in_the_pinned_version() -> None:
    for name in MESSAGE_LAUNCH_METHODS:
        assert callable(getattr(MessageLaunch, name, None)), f"pylti1p3 MessageLaunch.{name} is gone"
    assert isinstance(CookieService._cookie_prefix, str)
    assert callable(getattr(LaunchDataStorage, "_prepare_key", None))
    assert "self._cookie_service" in inspect.getsource(OIDCLogin.__init__)  # FastAPIOIDCLogin.get_redirect reads it


def test_a_constructed_launch_has_the_attributes_the_strict_launch_reads() -> None:
    from unittest.mock import MagicMock

    ctx = ToolContext(config=MagicMock(), store=MagicMock(), keys=MagicMock(), http=MagicMock())
    launch = StrictMessageLaunch(FastAPIRequest(RequestData("POST", {"id_token": "x", "state": "s"}, {})), ctx)
    for name in MESSAGE_LAUNCH_ATTRIBUTES:
        assert hasattr(launch, name), f"pylti1p3 MessageLaunch no longer sets {name}"
    assert launch._get_request_param("state") == "s"
