"""JSON-LD support: the offline document loader over bundled contexts."""

from issuer.jsonld.loader import ContextLoader, default_loader

__all__ = ["ContextLoader", "default_loader"]
