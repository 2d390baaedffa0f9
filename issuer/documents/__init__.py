"""Credential documents from issuer-neutral inputs: Open Badges 3.0 and ELM European Digital Credentials."""

from issuer.documents.elm import build_edc
from issuer.documents.formats import CredentialFormat, format_names, get_format, register_format
from issuer.documents.model import (
    AchievementSpec,
    Alignment,
    AssessmentResult,
    AwardFacts,
    CredentialMeta,
    IssuerProfile,
    Learner,
    OutcomeSpec,
    email_identity_hash,
    stamp,
)
from issuer.documents.ob3 import build_openbadge

__all__ = [
    "AchievementSpec",
    "Alignment",
    "AssessmentResult",
    "AwardFacts",
    "CredentialFormat",
    "CredentialMeta",
    "IssuerProfile",
    "Learner",
    "OutcomeSpec",
    "build_edc",
    "build_openbadge",
    "email_identity_hash",
    "format_names",
    "get_format",
    "register_format",
    "stamp",
]
