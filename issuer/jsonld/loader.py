"""Offline JSON-LD document loader over the contexts bundled in ``issuer/data/contexts``.

Credentials name their contexts by URL; fetching them at signing or verification time would make a proof depend on
the network and on whoever serves the URL. The loader answers from ``index.json`` and refuses anything else.
Parsed contexts are cached for the life of the loader, and documents are returned with ``tag: static`` so that pyld
keeps its resolved contexts across calls.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from issuer.errors import UnknownContext

CONTEXTS_DIR = Path(__file__).resolve().parent.parent / "data" / "contexts"


class ContextLoader:
    """A pyld-compatible document loader (``loader(url, options)``) that never touches the network."""

    def __init__(self, directory: Path = CONTEXTS_DIR, extra: dict[str, dict[str, Any]] | None = None) -> None:
        self.directory = directory
        index = json.loads((directory / "index.json").read_text(encoding="utf-8"))
        self._index: dict[str, str] = {str(k): str(v) for k, v in index.items()}
        self._docs: dict[str, dict[str, Any]] = dict(extra or {})

    def urls(self) -> list[str]:
        """Every URL this loader answers for."""
        return sorted(set(self._index) | set(self._docs))

    def document(self, url: str) -> dict[str, Any]:
        """The parsed context document for ``url`` (cached); UnknownContext when it is not bundled."""
        doc = self._docs.get(url)
        if doc is not None:
            return doc
        name = self._index.get(url)
        if name is None:
            raise UnknownContext(
                f"JSON-LD context {url!r} is not bundled with LEADS, and contexts are never fetched from the "
                "network. Use one of the bundled contexts or add the file to issuer/data/contexts/index.json.",
                details={"url": url},
            )
        loaded: dict[str, Any] = json.loads((self.directory / name).read_text(encoding="utf-8"))
        self._docs[url] = loaded
        return loaded

    def __call__(self, url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"contextUrl": None, "documentUrl": url, "document": self.document(url), "tag": "static"}


@lru_cache(maxsize=1)
def default_loader() -> ContextLoader:
    """The shared loader over the bundled contexts."""
    return ContextLoader()
