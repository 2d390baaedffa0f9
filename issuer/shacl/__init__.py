"""SHACL validation of European Digital Credentials against the bundled ELM 3.2 EDC shapes."""

from issuer.shacl.checker import CredentialShapeChecker
from issuer.shacl.validator import ShaclViolation, Violation, check_edc, shapes_graph, to_graph, violations

__all__ = [
    "CredentialShapeChecker",
    "ShaclViolation",
    "Violation",
    "check_edc",
    "shapes_graph",
    "to_graph",
    "violations",
]
