"""The award pipeline's settings are the ``awards`` section of the one ``Settings`` (``LEADS_AWARDS_<FIELD>``); the
composition root hands that section down. Here: the award policy those settings choose."""

from __future__ import annotations

from bridge.awards.rules import AwardPolicy
from bridge.settings import AwardSettings


def policy_of(cfg: AwardSettings) -> AwardPolicy:
    """The deployment-wide award choices (``LEADS_AWARDS_REVOKE_ON_LOWER_GRADE`` and friends)."""
    return AwardPolicy(revoke_on_lower_grade=cfg.revoke_on_lower_grade, trust_course_pass=cfg.trust_course_pass,
                       default_threshold=cfg.default_threshold)


__all__ = ["AwardSettings", "policy_of"]
