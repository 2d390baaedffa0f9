"""The awards domain's door: award settings, who a launch is, the awards of a learner, and the hooks the
composition root wires (recording LTI launches; the wallet offer shown beside an issued award)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request

from bridge.awards.config import AwardSettings
from bridge.awards.intake import lti_reader_for, lti_roster_for, poll_targets
from bridge.awards.launches import Who, record_launch, who_from_claims
from bridge.awards.service import awards_of
from bridge.awards.tables import AgsTarget, Award
from bridge.db import Database
from bridge.ltitool.api import is_instructor, launch_for, lti_tool

#: ``offer(request, award_id, learner, _)`` → the deep link and QR code of a fresh wallet offer (bridge.wallets).
WalletOffers = Callable[[Request, str, str, Callable[[str], str]], dict[str, Any]]


def award_settings(request: Request) -> AwardSettings:
    """The process's award settings (built once by the composition root)."""
    cfg: AwardSettings = request.app.state.award_settings
    return cfg


def wallet_offers(request: Request) -> WalletOffers | None:
    """The wallet offer maker, when the wallets domain is installed (it sits above awards)."""
    offers: WalletOffers | None = getattr(request.app.state, "wallet_offers", None)
    return offers


def who_for_launch(request: Request, launch_id: str) -> Who:
    """Who the user of a stored LTI launch is (learner, course, role); the launch id is the capability."""
    claims, _ = launch_for(lti_tool(request), launch_id)
    return who_from_claims(claims, award_settings(request).lms_sources, is_instructor(claims))


def record_lti_launch(request: Request, claims: dict[str, Any]) -> None:
    """The LTI tool's launch listener: remember who launched in which course (for polls and names)."""
    db: Database = request.app.state.db
    record_launch(db, who_from_claims(claims, award_settings(request).lms_sources, is_instructor(claims)))


__all__ = ["AgsTarget", "Award", "AwardSettings", "WalletOffers", "Who", "award_settings", "awards_of",
           "lti_reader_for", "lti_roster_for", "poll_targets", "record_lti_launch", "wallet_offers",
           "who_for_launch"]
