"""The Wikibase domain's door: the codec between the data model and a Wikibase (dumps in, dumps out)."""

from __future__ import annotations

from bridge.wikibase import codec, sync
from bridge.wikibase.client import WikibaseClient
from bridge.wikibase.codec import decode_dump, export_dump
from bridge.wikibase.local import load_records, merge_records, save_records
from bridge.wikibase.propmap import PropertyMap
from bridge.wikibase.schema import CLASS_BY_KEY, LEADS_KEY, PROPERTIES, PROPERTY_BY_KEY
from bridge.wikibase.transport import WikibaseApiError

__all__ = [
           "CLASS_BY_KEY",
           "LEADS_KEY",
           "PROPERTIES",
           "PROPERTY_BY_KEY",
           "PropertyMap",
           "WikibaseApiError",
           "WikibaseClient",
           "codec",
           "decode_dump",
           "export_dump",
           "load_records",
           "merge_records",
           "save_records",
           "sync",
]
