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
from bridge.courses.tables import CourseJob, CourseLink
from bridge.credentials.tables import IssuedCredentialRow, StatusListRow
from bridge.dataspace.tables import EntityRow, MetaRow
from bridge.editor.tables import Draft, EditorSession, HistoryRow, LocalEditor, SharedMap
from bridge.ltitool.tables import LtiDeployment, LtiLaunchData, LtiNonce, LtiPlatform
from bridge.pool.tables import CapxLink, PoolCompetence, PoolEntry, PoolProfile, WikiLoginState, WikiSession
from bridge.scheduling.tables import Lease, ScheduledRun
from bridge.trust.tables import TrustedIssuerRow
from bridge.wallets.tables import HolderNonce, WalletOffer
from bridge.web.tables import AdminSession

__all__ = [
    "AdminSession",
    "AgsTarget",
    "Award",
    "CapxLink",
    "CourseJob",
    "CourseLink",
    "Draft",
    "EditorSession",
    "EntityRow",
    "GradeEvent",
    "HistoryRow",
    "HolderNonce",
    "IssuedCredentialRow",
    "Job",
    "Lease",
    "LmsContext",
    "LmsPerson",
    "LocalEditor",
    "LtiDeployment",
    "LtiLaunchData",
    "LtiNonce",
    "LtiPlatform",
    "MetaRow",
    "PoolCompetence",
    "PoolEntry",
    "PoolProfile",
    "ScheduledRun",
    "SharedMap",
    "StatusListRow",
    "TrustedIssuerRow",
    "WalletOffer",
    "WebhookReceipt",
    "WikiLoginState",
    "WikiSession",
    "WorkerHeartbeat",
]
