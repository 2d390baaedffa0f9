"""Reference canonicaliser: plain pyld (expansion, toRdf, URDNA2015 = RDFC-1.0) with fresh caches on every call.

Slow but simple; it is what the fast canonicaliser is checked against.
"""

from __future__ import annotations

from typing import Any

from pyld.context_resolver import ContextResolver

from issuer.canon._rdf import StrictProcessor, expand_strict, expanded_to_dataset
from issuer.canon.poison import rdfc
from issuer.jsonld.loader import ContextLoader


class PyldCanonicaliser:
    name = "pyld"

    def __init__(self, loader: ContextLoader) -> None:
        self.loader = loader

    def canonicalize(self, doc: dict[str, Any]) -> str:
        processor = StrictProcessor()
        options: dict[str, Any] = {
            "base": None,
            "documentLoader": self.loader,
            "contextResolver": ContextResolver({}, self.loader),
            "extractAllScripts": True,
            "processingMode": "json-ld-1.1",
            "produceGeneralizedRdf": False,
        }
        expanded = expand_strict(processor, doc, options)
        dataset = expanded_to_dataset(processor, expanded, options)
        return rdfc(dataset)


__all__ = ["PyldCanonicaliser"]
