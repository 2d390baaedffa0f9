"""JSON-LD → N-Quads in one pass for the common shape of credentials, mirroring pyld's expansion step by step.

pyld's expansion builds an expanded document, then a node map, then RDF; for a credential that is most of the cost
of signing. This walks the compact document once and writes quads directly, using pyld's own (cached) context
processing and IRI expansion, so terms mean exactly what they mean to pyld. Anything outside the common subset —
value objects, lists, language maps, @graph/@index/@id/@type containers, @reverse, @nest, @included, @json,
language-tagged or directional strings, string-valued doubles, relative IRIs, dropped terms — raises
``Unsupported`` and the caller falls back to full pyld expansion (which also produces the proper ``UndefinedTerm``
error). The fast canonicaliser's cross-check against the pyld reference covers this module.
"""

from __future__ import annotations

import math
import re
from typing import Any

from pyld.jsonld import JsonLdProcessor
from pyld.nquads import escape

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
XSD_DOUBLE = XSD + "double"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_context_value = JsonLdProcessor.get_context_value
_SUPPORTED_KEYWORDS = frozenset({"@id", "@type", "@context"})


class Unsupported(Exception):
    """The document uses a feature this fast path does not mirror; use full pyld expansion instead."""


class DirectRdf:
    """One conversion (not thread-safe; make one per document)."""

    def __init__(self, processor: Any, options: dict[str, Any], iri_cache: dict[Any, Any] | None = None) -> None:
        self.p = processor
        self.options = options
        # expand_iri results by (context id, value, vocab); context ids are unique uuids, never reused
        self._iris: dict[Any, Any] = {} if iri_cache is None else iri_cache
        self.lines: list[str] = []
        self._blank = 0
        self._labels: dict[str, str] = {}

    # -- helpers --------------------------------------------------------------------------------------------

    def _expand(self, ctx: Any, value: str, vocab: bool) -> Any:
        uid = ctx.get("_uuid")
        if uid is None:
            return self.p._expand_iri(ctx, value, vocab=vocab, base=None)
        key = (uid, value, vocab)
        try:
            return self._iris[key]
        except KeyError:
            pass
        if len(self._iris) > 100_000:
            self._iris.clear()
        found = self._iris[key] = self.p._expand_iri(ctx, value, vocab=vocab, base=None)
        return found

    def _iri(self, ctx: Any, value: str, *, vocab: bool) -> str:
        """An absolute IRI or a blank node label (``_:…``) as an N-Quads term; Unsupported otherwise."""
        iri = self._expand(ctx, value, vocab)
        if not isinstance(iri, str):
            raise Unsupported(value)
        if iri.startswith("_:"):
            return self._label(iri)
        if iri.startswith("@") or not _ABSOLUTE.match(iri):
            raise Unsupported(iri)
        return f"<{iri}>"

    def _label(self, given: str | None = None) -> str:
        if given is not None and given in self._labels:
            return self._labels[given]
        label = f"_:b{self._blank}"
        self._blank += 1
        if given is not None:
            self._labels[given] = label
        return label

    def _process(self, ctx: Any, local: Any, **flags: Any) -> Any:
        return self.p._process_context(ctx, local, self.options, **flags)

    # -- the walk -------------------------------------------------------------------------------------------

    def document(self, doc: dict[str, Any]) -> str:
        if not isinstance(doc, dict):
            raise Unsupported("top level")
        ctx = self.p._get_initial_context(self.options)
        self._node(ctx, None, doc)
        return "".join(self.lines)

    def _node(self, active_ctx: Any, active_property: str | None, element: dict[str, Any]) -> str:
        """Expand a node object (pyld ``_expand`` for a map) and return its subject term."""
        property_scoped = _context_value(active_ctx, active_property, "@context")
        type_scoped = active_ctx if active_ctx.get("previousContext") else None
        must_revert = True
        if type_scoped and len(element) <= 2 and "@context" not in element:
            for key in sorted(element):
                expanded = self._expand(type_scoped, key, True)
                if expanded == "@value":
                    raise Unsupported("value object")
                if expanded == "@id" and len(element) == 1:
                    must_revert = False
                    break
        if must_revert and "previousContext" in active_ctx:
            active_ctx = active_ctx["previousContext"]
        if property_scoped is not None:
            active_ctx = self._process(active_ctx, property_scoped, override_protected=True)
        if "@context" in element:
            active_ctx = self._process(active_ctx, element["@context"])
        type_scoped_ctx = active_ctx
        for key in sorted(element):
            if self._expand(active_ctx, key, True) != "@type":
                continue
            value = element[key]
            for t in sorted(v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)):
                scoped = _context_value(type_scoped_ctx, t, "@context")
                if scoped is not None and scoped is not False:
                    active_ctx = self._process(active_ctx, scoped, propagate=False)
        return self._properties(active_ctx, type_scoped_ctx, element)

    def _properties(self, active_ctx: Any, type_scoped_ctx: Any, element: dict[str, Any]) -> str:
        subject: str | None = None
        types: list[str] = []
        triples: list[tuple[str, Any, str]] = []  # (predicate, value, key) expanded after the subject is known
        for key, value in sorted(element.items()):
            if key == "@context":
                continue
            expanded = self._expand(active_ctx, key, True)
            if not isinstance(expanded, str):
                raise Unsupported(key)
            if expanded.startswith("@"):
                if expanded not in _SUPPORTED_KEYWORDS:
                    raise Unsupported(expanded)
                if expanded == "@id":
                    if subject is not None or not isinstance(value, str):
                        raise Unsupported("@id")
                    subject = self._iri(active_ctx, value, vocab=False)
                elif expanded == "@type":
                    for t in value if isinstance(value, list) else [value]:
                        if not isinstance(t, str):
                            raise Unsupported("@type value")
                        types.append(self._iri(type_scoped_ctx, t, vocab=True))
                continue
            if not _ABSOLUTE.match(expanded) or expanded.startswith("_:"):
                raise Unsupported(expanded)  # dropped or blank-node property: let pyld decide
            triples.append((expanded, value, key))
        if subject is None:
            subject = self._label()
        for t in types:
            self.lines.append(f"{subject} <{RDF_TYPE}> {t} .\n")
        for predicate, value, key in triples:
            self._property(active_ctx, subject, predicate, key, value)
        return subject

    def _property(self, active_ctx: Any, subject: str, predicate: str, key: str, value: Any) -> None:
        if _context_value(active_ctx, key, "@reverse") or (active_ctx["mappings"].get(key) or {}).get("reverse"):
            raise Unsupported("@reverse")
        term_ctx = active_ctx
        scoped = _context_value(active_ctx, key, "@context")
        if scoped is not None:
            term_ctx = self._process(active_ctx, scoped, propagate=True, override_protected=True)
        raw = _context_value(active_ctx, key, "@container")
        containers = set(raw if isinstance(raw, list) else [] if raw is None else [raw])
        if "@language" in containers and isinstance(value, dict):
            if containers - {"@language", "@set"} or _context_value(active_ctx, key, "@direction") is not None:
                raise Unsupported(f"container {raw}")
            self._language_map(term_ctx, subject, predicate, value)
            return
        if containers - {"@set"}:
            raise Unsupported(f"container {raw}")
        if _context_value(active_ctx, key, "@type") == "@json":
            raise Unsupported("@json")
        for item in value if isinstance(value, list) else [value]:
            obj = self._object(term_ctx, key, item)
            if obj is not None:
                self.lines.append(f"{subject} <{predicate}> {obj} .\n")

    def _language_map(self, ctx: Any, subject: str, predicate: str, value: dict[str, Any]) -> None:
        for language, items in sorted(value.items()):
            none = self._expand(ctx, language, True) == "@none"
            for item in items if isinstance(items, list) else [items]:
                if item is None:
                    continue
                if not isinstance(item, str):
                    raise Unsupported("language map value")
                tag = "" if none else f"@{language.lower()}"
                self.lines.append(f'{subject} <{predicate}> "{escape(item)}"{tag} .\n')

    def _object(self, ctx: Any, key: str, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, dict):
            return self._node(ctx, key, value)
        if isinstance(value, list):
            raise Unsupported("nested array")
        type_ = _context_value(ctx, key, "@type")
        if isinstance(value, str):
            if type_ == "@id":
                return self._iri(ctx, value, vocab=False)
            if type_ == "@vocab":
                return self._iri(ctx, value, vocab=True)
            if type_ is None or type_ == "@none":
                if _context_value(ctx, key, "@direction") is not None:
                    raise Unsupported("direction")
                language = _context_value(ctx, key, "@language")
                if language is None:
                    return f'"{escape(value)}"'
                if not isinstance(language, str) or not language or language != language.lower():
                    raise Unsupported("language")
                return f'"{escape(value)}"@{language}'
            if type_ == XSD_DOUBLE:
                raise Unsupported("xsd:double")  # pyld rewrites the lexical form
            return _literal(value, type_)
        coerced = None if type_ in (None, "@none", "@id", "@vocab") else type_
        if isinstance(value, bool):
            return _literal("true" if value else "false", coerced or XSD + "boolean")
        if isinstance(value, int) and abs(value) < 10**21 and coerced != XSD_DOUBLE:
            return _literal(str(value), coerced or XSD + "integer")
        if isinstance(value, float) and math.isfinite(value):  # e.g. ECTS credits: as pyld's _object_to_rdf
            if value.is_integer() and abs(value) < 1e21 and coerced != XSD_DOUBLE:
                return _literal(str(int(value)), coerced or XSD + "integer")
            return _literal(_canonical_double(value), coerced or XSD_DOUBLE)
        raise Unsupported(f"value {value!r}")


def _canonical_double(value: float) -> str:
    """The canonical xsd:double lexical form, written exactly as pyld writes it (``2.5E0``, ``1.0E21``)."""
    return re.sub(r"(\d)0*E\+?(-)?0*(\d)", r"\1E\2\3", f"{value:1.15E}")


def _literal(lexical: str, datatype: Any) -> str:
    if not isinstance(datatype, str) or not _ABSOLUTE.match(datatype) or datatype.startswith("_:"):
        raise Unsupported(f"datatype {datatype}")
    if datatype == XSD_STRING:
        return f'"{escape(lexical)}"'
    return f'"{escape(lexical)}"^^<{datatype}>'


__all__ = ["DirectRdf", "Unsupported"]
