"""Imports every domain's tables so that Alembic and tests see one complete metadata."""

from bridge.awards.tables import AgsTarget, Award, GradeEvent, Job, LmsContext, LmsPerson, WebhookReceipt
from bridge.courses.store import CourseLink
from bridge.credentials.tables import IssuedCredentialRow, StatusListRow
from bridge.dataspace.repository import EntityRow, MetaRow
from bridge.editor.tables import Draft, EditorSession, HistoryRow, LocalEditor, SharedMap
from bridge.ltitool.tables import LtiDeployment, LtiLaunchData, LtiNonce, LtiPlatform
from bridge.pool.repository import PoolCompetence, PoolEntry, PoolProfile
from bridge.trust.tables import TrustedIssuerRow
from bridge.wallets.tables import HolderNonce, WalletOffer
from bridge.web.admin import AdminSession

__all__ = [
    "AdminSession",
    "AgsTarget",
    "Award",
    "CourseLink",
    "Draft",
    "EditorSession",
    "EntityRow",
    "GradeEvent",
    "HistoryRow",
    "HolderNonce",
    "IssuedCredentialRow",
    "Job",
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
    "SharedMap",
    "StatusListRow",
    "TrustedIssuerRow",
    "WalletOffer",
    "WebhookReceipt",
]
