"""Verification of credentials: a report listing every check with its outcome."""

from issuer.verify.engine import (
    ShapeChecker,
    StatusChecker,
    check_format,
    check_shape,
    check_status,
    check_validity,
    verify_credential,
)
from issuer.verify.report import Check, IssuerTrust, VerificationReport

__all__ = [
    "Check",
    "IssuerTrust",
    "ShapeChecker",
    "StatusChecker",
    "VerificationReport",
    "check_format",
    "check_shape",
    "check_status",
    "check_validity",
    "verify_credential",
]
