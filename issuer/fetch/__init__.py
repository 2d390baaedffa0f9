"""Guarded outbound fetching for verification (see fetcher.py for the rules every fetch obeys). The network
layer, ``transport.GuardedTransport``, is imported by the fetcher at its first fetch."""

from issuer.fetch.addresses import Origin, is_public
from issuer.fetch.fetcher import FetchFailed, FetchPolicy, SafeFetcher

__all__ = ["FetchFailed", "FetchPolicy", "Origin", "SafeFetcher", "is_public"]
