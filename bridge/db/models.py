"""Imports every domain's tables so that Alembic and tests see one complete metadata."""

from bridge.awards.tables import AgsTarget, Award, GradeEvent, Job, WebhookReceipt
from bridge.courses.store import CourseLink
from bridge.credentials.tables import IssuedCredentialRow, StatusListRow
from bridge.dataspace.repository import EntityRow, MetaRow
from bridge.ltitool.tables import LtiDeployment, LtiLaunchData, LtiNonce, LtiPlatform
from bridge.pool.repository import PoolCompetence, PoolEntry, PoolProfile
from bridge.wallets.tables import HolderNonce, WalletOffer

__all__ = [
    "AgsTarget", "Award", "CourseLink", "EntityRow", "GradeEvent", "HolderNonce", "IssuedCredentialRow", "Job",
    "LtiDeployment", "LtiLaunchData", "LtiNonce", "LtiPlatform", "MetaRow", "PoolCompetence", "PoolEntry",
    "PoolProfile", "StatusListRow", "WalletOffer", "WebhookReceipt",
]
