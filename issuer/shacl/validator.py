"""EDC SHACL validation: the European Learning Model shapes (no-cv + full), checked before an EDC is signed.

The shapes graph is parsed once per process (parsing 225 KB of Turtle takes longer than a validation). The
credential is turned into RDF with PyLD over the offline document loader, so no context is fetched from the
network, and ``owl:imports`` are not followed (both shape files are loaded together instead).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from pyld import jsonld
from pyshacl import validate as shacl_validate
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from issuer.errors import IssuerError
from issuer.jsonld import default_loader

SH = Namespace("http://www.w3.org/ns/shacl#")
SHAPE_FILES = ("EDC-generic-no-cv.ttl", "EDC-generic-full.ttl")

DocumentLoader = Callable[..., Mapping[str, Any]]


@dataclass(frozen=True)
class Violation:
    """One SHACL result: which node, which property path, which shape, and the shape's message."""

    focus: str
    path: str
    shape: str
    message: str
    severity: str = "Violation"

    def as_dict(self) -> dict[str, str]:
        return {"focus": self.focus, "path": self.path, "shape": self.shape, "message": self.message,
                "severity": self.severity}

    def __str__(self) -> str:
        return f"{self.focus} · {self.path} · {self.shape}: {self.message}"


class ShaclViolation(IssuerError):
    """The document does not conform to the EDC shapes; ``violations`` lists every result."""

    def __init__(self, violations: list[Violation]) -> None:
        first = violations[0]
        super().__init__(
            f"the European Digital Credential does not conform to the EDC shapes ({len(violations)} "
            f"violation(s)); first: node {first.focus}, path {first.path}, shape {first.shape}: {first.message}",
            code="edc_shape_violation",
            status=422,
            details={"violations": [v.as_dict() for v in violations]},
        )
        self.violations = violations


_lock = threading.Lock()


@lru_cache(maxsize=1)
def shapes_graph() -> Graph:
    """Both EDC shape files in one graph, parsed once per process."""
    with _lock:
        graph = Graph(bind_namespaces="none")  # keep the files' own prefixes (dc: is dcterms there)
        base = resources.files("issuer") / "data" / "elm"
        for name in SHAPE_FILES:
            graph.parse(data=(base / name).read_text(encoding="utf-8"), format="turtle")
        return graph


def to_graph(document: Mapping[str, Any], loader: DocumentLoader | None = None) -> Graph:
    """The JSON-LD document as an rdflib graph, expanded with the offline loader only."""
    loader = loader or default_loader()
    try:
        nquads = jsonld.to_rdf(dict(document), {"documentLoader": loader, "format": "application/n-quads"})
    except jsonld.JsonLdError as exc:
        raise IssuerError(f"the credential is not valid JSON-LD: {exc}", code="jsonld_invalid", status=422) from None
    graph = Graph()
    graph.parse(data=nquads, format="nt")
    return graph


def _label(graph: Graph, node: Node | None) -> str:
    if node is None:
        return "(none)"
    if isinstance(node, URIRef):
        return graph.namespace_manager.normalizeUri(node) if "#" in node or "/" in node else str(node)
    return str(node)


def _shape_name(shapes: Graph, results: Graph, shape: Node | None) -> str:
    """A named shape's IRI; for an anonymous property shape, its ``sh:name`` and the node shape it belongs to."""
    if shape is None:
        return "(unknown)"
    if isinstance(shape, URIRef):
        return shapes.namespace_manager.normalizeUri(shape)
    name = shapes.value(shape, SH.name) or results.value(shape, SH.name)
    parent = shapes.value(None, SH.property, shape)
    owner = shapes.namespace_manager.normalizeUri(parent) if isinstance(parent, URIRef) else "anonymous shape"
    return f"{owner} ({name})" if name else owner


def violations(document: Mapping[str, Any], loader: DocumentLoader | None = None) -> list[Violation]:
    """Every SHACL result of the document against the EDC shapes (empty when it conforms)."""
    data = to_graph(document, loader)
    shapes = shapes_graph()
    conforms, results, _text = shacl_validate(
        data, shacl_graph=shapes, inference="none", do_owl_imports=False, allow_warnings=True,
        advanced=False, meta_shacl=False,
    )
    if conforms:
        return []
    out = []
    all_results = list(results.subjects(RDF.type, SH.ValidationResult))
    focuses = {results.value(r, SH.focusNode) for r in all_results}
    for result in all_results:
        # "value does not conform to shape X" only wraps the nested node's own results: report those instead
        if results.value(result, SH.sourceConstraintComponent) == SH.NodeConstraintComponent \
                and results.value(result, SH.value) in focuses:
            continue
        severity = results.value(result, SH.resultSeverity)
        sev = str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation"
        message = results.value(result, SH.resultMessage)
        out.append(Violation(
            focus=_label(data, results.value(result, SH.focusNode)),
            path=_label(shapes, results.value(result, SH.resultPath)),
            shape=_shape_name(shapes, results, results.value(result, SH.sourceShape)),
            message=str(message) if isinstance(message, Literal) else "does not conform",
            severity=sev,
        ))
    out.sort(key=lambda v: (v.severity != "Violation", v.focus, v.path))
    return out


def check_edc(document: Mapping[str, Any], loader: DocumentLoader | None = None) -> None:
    """Raise ``ShaclViolation`` naming node, path and shape unless the document conforms (warnings pass)."""
    found = [v for v in violations(document, loader) if v.severity == "Violation"]
    if found:
        raise ShaclViolation(found)
