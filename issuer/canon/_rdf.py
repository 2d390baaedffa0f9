"""Strict JSON-LD → RDF with pyld: a property or type the contexts do not define is an error, never dropped."""

from __future__ import annotations

import re
from typing import Any

from pyld import jsonld
from pyld.nquads import serialize_nquads

from issuer.errors import JsonLdFailed, UndefinedTerm, UnknownContext

_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def _raise_dropped(expanded_property: str | None) -> None:
    raise UndefinedTerm(
        f"The term {expanded_property!r} is not defined by the document's @context, so it would be silently "
        "left out of the signed data. Fix its spelling, or use a property the context defines "
        "(or add a context that defines it).",
        details={"term": expanded_property},
    )


class StrictProcessor(jsonld.JsonLdProcessor):  # type: ignore[misc]
    """pyld's processor with a handler that refuses dropped properties."""

    def __init__(self) -> None:
        super().__init__(on_property_dropped=_raise_dropped)


def _unwrap(exc: BaseException) -> BaseException | None:
    """pyld wraps our errors in JsonLdError chains; find an IssuerError inside."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, UndefinedTerm | UnknownContext):
            return seen
        details = getattr(seen, "details", None)
        if isinstance(details, dict):
            cause = details.get("cause")
            if isinstance(cause, BaseException) and cause is not seen:
                inner = _unwrap(cause)
                if inner is not None:
                    return inner
        seen = seen.__cause__ or seen.__context__
    return None


def expand_strict(processor: StrictProcessor, doc: dict[str, Any], options: dict[str, Any]) -> list[Any]:
    """Expand ``doc``; UndefinedTerm for dropped keys and for types or ids that are not absolute IRIs."""
    try:
        expanded: list[Any] = processor.expand(doc, options)
    except jsonld.JsonLdError as exc:
        inner = _unwrap(exc)
        if inner is not None:
            raise inner from None
        raise JsonLdFailed(f"JSON-LD processing failed: {exc}", details={"jsonld": str(exc)}) from None
    _check_iris(expanded)
    return expanded


def _check_iris(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _check_iris(item)
        return
    if not isinstance(node, dict):
        return
    if "@value" in node:
        datatype = node.get("@type")
        if isinstance(datatype, str) and datatype != "@json" and not _ABSOLUTE.match(datatype):
            _undefined("datatype", datatype)
        return
    for key, value in node.items():
        if key == "@type":
            for t in value if isinstance(value, list) else [value]:
                if isinstance(t, str) and not t.startswith("_:") and not _ABSOLUTE.match(t):
                    _undefined("type", t)
        elif key == "@id":
            if isinstance(value, str) and not value.startswith("_:") and not _ABSOLUTE.match(value):
                _undefined("id", value)
        elif key not in ("@context",) and isinstance(value, list | dict):
            _check_iris(value)


def _undefined(what: str, value: str) -> None:
    raise UndefinedTerm(
        f"The {what} {value!r} is not defined by the document's @context and is not an absolute IRI, so it "
        "would be silently left out of the signed data. Use a defined term or a full IRI.",
        details={"term": value},
    )


def expanded_to_dataset(processor: StrictProcessor, expanded: list[Any], options: dict[str, Any]) -> Any:
    """The RDF dataset (pyld's dict form) of an expanded document, as pyld's ``to_rdf`` builds it."""
    issuer = jsonld.IdentifierIssuer("_:b")
    node_map: dict[str, Any] = {"@default": {}}
    processor._create_node_map(expanded, node_map, "@default", issuer)
    dataset: dict[str, Any] = {}
    for graph_name, graph in sorted(node_map.items()):
        if graph_name == "@default" or jsonld._is_absolute_iri(graph_name):
            dataset[graph_name] = processor._graph_to_rdf(graph, issuer, options)
    return dataset


def dataset_to_nquads(dataset: Any) -> str:
    return str(serialize_nquads(dataset))


__all__ = ["StrictProcessor", "dataset_to_nquads", "expand_strict", "expanded_to_dataset"]
