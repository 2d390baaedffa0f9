"""Guarded outbound fetching for verification (see fetcher.py for the rules every fetch obeys)."""

from issuer.fetch.addresses import Origin, is_public
from issuer.fetch.fetcher import FetchFailed, FetchPolicy, SafeFetcher
from issuer.fetch.transport import GuardedTransport

__all__ = ["FetchFailed", "FetchPolicy", "GuardedTransport", "Origin", "SafeFetcher", "is_public"]
