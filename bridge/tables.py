"""Imports every domain's tables so that Alembic and tests see one complete metadata."""

from bridge.awards.tables import (
    AgsTarget,
    Award,
    GradeEvent,
    Job,
    LmsContext,
    LmsPerson,
    WebhookReceipt,
    WorkerHeartbeat,
)
from bridge.courses.store import CourseLink
from bridge.courses.tables import CourseJob
from bridge.credentials.tables import IssuedCredentialRow, StatusListRow
from bridge.dataspace.repository import EntityRow, MetaRow
from bridge.ltitool.tables import LtiDeployment, LtiLaunchData, LtiNonce, LtiPlatform
from bridge.pool.identity_tables import CapxLink, WikiLoginState, WikiSession
from bridge.pool.repository import PoolCompetence, PoolEntry, PoolProfile
from bridge.scheduling.tables import Lease, ScheduledRun
from bridge.trust.tables import TrustedIssuerRow
from bridge.wallets.tables import HolderNonce, WalletOffer
from bridge.web.admin import AdminSession

__all__ = [
    "AdminSession",
    "AgsTarget",
    "Award",
    "CapxLink",
    "CourseJob",
    "CourseLink",
    "EntityRow",
    "GradeEvent",
    "HolderNonce",
    "IssuedCredentialRow",
    "Job",
    "Lease",
    "LmsContext",
    "LmsPerson",
    "LtiDeployment",
    "LtiLaunchData",
    "LtiNonce",
    "LtiPlatform",
    "MetaRow",
    "PoolCompetence",
    "PoolEntry",
    "PoolProfile",
    "ScheduledRun",
    "StatusListRow",
    "TrustedIssuerRow",
    "WalletOffer",
    "WebhookReceipt",
    "WikiLoginState",
    "WikiSession",
    "WorkerHeartbeat",
]
