"""The Wikibase domain's door: the codec between the data model and a Wikibase (dumps in, dumps out)."""

from __future__ import annotations

from bridge.wikibase.codec import decode_dump, export_dump

__all__ = ["decode_dump", "export_dump"]
