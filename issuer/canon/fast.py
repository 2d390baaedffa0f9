"""Fast canonicaliser: one-pass JSON-LD → N-Quads with cached active contexts, and pyoxigraph's native RDFC-1.0.

Why it is fast: plain pyld re-processes every (type-scoped) context of the OB3 and VC contexts for each document;
here a processed active context is cached by (parent context, local context, flags), so a credential shaped like the
previous one creates no term definition at all. ``direct.DirectRdf`` then writes the quads in one walk (full pyld
expansion remains the fallback), and the blank-node labelling runs in Rust.

Byte-identity with the reference: literals holding control characters other than tab, newline and carriage return
are escaped differently by pyoxigraph and pyld; such (rare) documents are canonicalised with pyld's URDNA2015.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pyoxigraph as ox
from pyld.context_resolver import ContextResolver
from pyld.jsonld import JsonLdError

from issuer.canon._rdf import StrictProcessor, dataset_to_nquads, expand_strict, expanded_to_dataset
from issuer.canon.direct import DirectRdf, Unsupported
from issuer.canon.poison import lookalike_blank_nodes, rdfc
from issuer.canon.pyld_ref import PyldCanonicaliser
from issuer.errors import IssuerError
from issuer.jsonld.loader import ContextLoader

_CACHE_LIMIT = 4096
_IDLE_STATES = 64  # a server's threadpool (40 threads) and the worker's threads
_CROSSCHECK_ALL = [False]  # the application turns it on (``enable_crosscheck``); this library reads no environment


def enable_crosscheck(on: bool = True) -> None:
    """Make every fast canonicaliser compare itself with the pyld reference (used by the test suite)."""
    _CROSSCHECK_ALL[0] = on
_ODD_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _MemoResolver(ContextResolver):  # type: ignore[misc]
    """A resolver kept across documents; embedded (scoped) contexts are looked up by identity, not re-serialised."""

    def __init__(self, loader: ContextLoader) -> None:
        super().__init__({}, loader)
        self._by_id: dict[int, tuple[Any, Any]] = {}

    def resolve(self, active_ctx: Any, context: Any, base: Any, cycles: Any = None) -> Any:
        if isinstance(context, dict) and "@context" not in context:
            hit = self._by_id.get(id(context))
            if hit is not None and hit[0] is context:
                return hit[1]
            resolved = super().resolve(active_ctx, context, base, cycles)
            if len(self._by_id) >= _CACHE_LIMIT:  # documents with inline contexts: keep memory bounded
                self._by_id.clear()
                self.per_op_cache.clear()
                self.shared_cache.clear()
            self._by_id[id(context)] = (context, resolved)
            return resolved
        return super().resolve(active_ctx, context, base, cycles)


class _MemoProcessor(StrictProcessor):
    """Caches processed active contexts; pyld treats active contexts as immutable once built, so sharing is safe."""

    def __init__(self) -> None:
        super().__init__()
        self._contexts: dict[tuple[Any, ...], tuple[Any, Any, Any]] = {}
        self.iri_cache: dict[Any, Any] = {}

    def _process_context(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: Any,
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: Any = None,
    ) -> Any:
        try:
            if "_uuid" not in active_ctx:
                active_ctx["_uuid"] = uuid.uuid4().hex
        except TypeError:  # a frozen context without an id: do not cache
            return super()._process_context(
                active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
            )
        local_key: Any
        if isinstance(local_ctx, str):
            local_key = local_ctx
        elif isinstance(local_ctx, list) and all(isinstance(c, str) for c in local_ctx):
            local_key = tuple(local_ctx)
        else:
            local_key = ("id", id(local_ctx))
        key = (active_ctx["_uuid"], local_key, override_protected, propagate, validate_scoped, options.get("base"))
        hit = self._contexts.get(key)
        if hit is not None and (not isinstance(local_key, tuple) or local_key[0] != "id" or hit[0] is local_ctx):
            return hit[1]
        result = super()._process_context(
            active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
        )
        try:
            if "_uuid" not in result:
                result["_uuid"] = uuid.uuid4().hex
        except TypeError:
            return result
        if len(self._contexts) >= _CACHE_LIMIT:
            self._contexts.clear()
        # keep the local context and the parent alive so that id() keys cannot be reused while cached
        self._contexts[key] = (local_ctx, result, active_ctx)
        return result


class FastCanonicaliser:
    """Thread-safe: each canonicalisation checks out a warm cache state (processor and resolver) that no other thread
    uses meanwhile and returns it afterwards, like a connection pool. Kept by the instance, not by the thread, the
    states outlive the worker threads that used them: a server's threadpool retires idle threads and starts new
    ones at the next burst, and a thread-local cache made each new thread rebuild every context (tens of
    milliseconds on its first document)."""

    name = "fast"

    def __init__(self, loader: ContextLoader, *, crosscheck: bool | None = None) -> None:
        self.loader = loader
        self._idle: list[tuple[_MemoProcessor, _MemoResolver]] = []  # list.pop / append are atomic
        self.states_made = 0  # states ever built (a diagnostic; an unlocked count)
        # crosscheck: also run the pyld reference and fail loudly on any difference (the test suite turns it on)
        self.crosscheck = crosscheck
        self.crosschecked = 0
        self.direct = 0  # documents converted by the one-pass path (the rest went through full pyld expansion)

    def _checkout(self) -> tuple[_MemoProcessor, _MemoResolver]:
        try:
            return self._idle.pop()  # the most recently returned: the warmest
        except IndexError:
            self.states_made += 1
            return (_MemoProcessor(), _MemoResolver(self.loader))

    def _checkin(self, state: tuple[_MemoProcessor, _MemoResolver]) -> None:
        if len(self._idle) < _IDLE_STATES:  # as many as ran at once, up to a bound; more are left to the collector
            self._idle.append(state)

    def canonicalize(self, doc: dict[str, Any]) -> str:
        result = self._canonicalize(doc)
        if self.crosscheck or (self.crosscheck is None and _CROSSCHECK_ALL[0]):
            reference = PyldCanonicaliser(self.loader).canonicalize(doc)
            if reference != result:
                raise IssuerError(
                    "The fast canonicaliser differs from the pyld reference on this document; please report it "
                    "(set LEADS_CANONICALISER=pyld meanwhile).",
                    code="canonicaliser_mismatch",
                    status=500,
                    details={"fast": result, "reference": reference},
                )
            self.crosschecked += 1
        return result

    def _canonicalize(self, doc: dict[str, Any]) -> str:
        state = self._checkout()
        try:
            return self._canonicalize_with(doc, *state)
        finally:
            self._checkin(state)

    def _canonicalize_with(self, doc: dict[str, Any], processor: _MemoProcessor, resolver: _MemoResolver) -> str:
        options: dict[str, Any] = {
            "base": None,
            "documentLoader": self.loader,
            "contextResolver": resolver,
            "extractAllScripts": True,
            "processingMode": "json-ld-1.1",
            "produceGeneralizedRdf": False,
        }
        try:
            nquads = DirectRdf(processor, options, processor.iri_cache).document(doc)
            self.direct += 1
        except (Unsupported, JsonLdError, IssuerError, TypeError, KeyError, ValueError):
            nquads = None  # the full pyld path decides (and raises the precise error, if any)
        dataset = None
        if nquads is None or _ODD_CONTROL.search(nquads):
            dataset = expanded_to_dataset(processor, expand_strict(processor, doc, options), options)
            nquads = dataset_to_nquads(dataset)
            if _ODD_CONTROL.search(nquads):
                return rdfc(dataset)
        if lookalike_blank_nodes(nquads):  # N-degree hashing would run: only with a budget (issuer/canon/poison.py)
            return rdfc(dataset or expanded_to_dataset(processor, expand_strict(processor, doc, options), options))
        try:
            rdf = ox.Dataset(ox.parse(nquads, ox.RdfFormat.N_QUADS))
        except (SyntaxError, ValueError):  # e.g. a language tag pyoxigraph finds malformed: pyld decides
            return rdfc(dataset or expanded_to_dataset(processor, expand_strict(processor, doc, options), options))
        rdf.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        return "".join(sorted(f"{quad} .\n" for quad in rdf))


__all__ = ["FastCanonicaliser", "enable_crosscheck"]
