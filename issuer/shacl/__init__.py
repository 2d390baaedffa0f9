"""SHACL validation of European Digital Credentials against the bundled ELM 3.2 EDC shapes.

The validator (pyshacl, rdflib) is imported on first use of one of its names: most callers check OB3 credentials
only, and loading it costs most of a second of every ``leads`` command's start.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from issuer.shacl.checker import CredentialShapeChecker

if TYPE_CHECKING:
    from issuer.shacl.validator import ShaclViolation, Violation, check_edc, shapes_graph, to_graph, violations

_LAZY = ("ShaclViolation", "Violation", "check_edc", "shapes_graph", "to_graph", "violations")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module("issuer.shacl.validator"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CredentialShapeChecker",
    "ShaclViolation",
    "Violation",
    "check_edc",
    "shapes_graph",
    "to_graph",
    "violations",
]
