"""RDF Dataset Canonicalization (RDFC-1.0) of JSON-LD documents, behind a Protocol and a registry.

``pyld`` is the reference; ``fast`` (cached active contexts + pyoxigraph RDFC-1.0) is the default and is tested to be
byte-identical to the reference on the W3C vectors and on every credential the suite issues.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from issuer.errors import UnsupportedFeature
from issuer.jsonld.loader import ContextLoader, default_loader


@runtime_checkable
class Canonicaliser(Protocol):
    """Turns a JSON-LD document into RDFC-1.0 canonical N-Quads (each line ends with a newline).

    Raises ``UndefinedTerm`` when a property or type is not defined by the document's contexts (it would be dropped
    from the signed data otherwise) and ``UnknownContext`` for a context URL that is not bundled.
    """

    name: str

    def canonicalize(self, doc: dict[str, Any]) -> str: ...


CanonicaliserFactory = Callable[[ContextLoader], Canonicaliser]
_REGISTRY: dict[str, CanonicaliserFactory] = {}
_INSTANCES: dict[tuple[str, int], Canonicaliser] = {}


def register_canonicaliser(name: str, factory: CanonicaliserFactory) -> None:
    """Make a canonicaliser available by name (e.g. one backed by a native library)."""
    _REGISTRY[name] = factory


_DEFAULT = ["fast"]


def set_default_canonicaliser(name: str) -> None:
    """The canonicaliser ``get_canonicaliser()`` returns when none is named (checked when first used)."""
    _DEFAULT[0] = name


def canonicaliser_names() -> list[str]:
    return sorted(_REGISTRY)


def get_canonicaliser(name: str | None = None, loader: ContextLoader | None = None) -> Canonicaliser:
    """A shared canonicaliser instance (they keep caches, so sharing is what makes them fast).

    The default is ``fast``, or the name set with ``set_default_canonicaliser`` (the application passes its
    setting; this library reads no environment).
    """
    name = name or _DEFAULT[0]
    loader = loader or default_loader()
    key = (name, id(loader))
    found = _INSTANCES.get(key)
    if found is not None:
        return found
    factory = _REGISTRY.get(name)
    if factory is None:
        raise UnsupportedFeature(
            f"No canonicaliser named {name!r}; available: {', '.join(canonicaliser_names())}"
        )
    made = factory(loader)
    _INSTANCES[key] = made
    return made


def _register_builtins() -> None:
    from issuer.canon.fast import FastCanonicaliser
    from issuer.canon.pyld_ref import PyldCanonicaliser

    register_canonicaliser("pyld", PyldCanonicaliser)
    register_canonicaliser("fast", FastCanonicaliser)


_register_builtins()

from issuer.canon.fast import enable_crosscheck  # noqa: E402

__all__ = [
    "Canonicaliser",
    "canonicaliser_names",
    "enable_crosscheck",
    "get_canonicaliser",
    "register_canonicaliser",
    "set_default_canonicaliser",
]
