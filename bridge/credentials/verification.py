"""Verification as this installation does it: its own DIDs and status lists locally, everyone else's through the
one guarded fetcher (issuer.fetch; docs/decisions/013), and who issued it from the issuer trust book (own issuers,
administrators' list, registries)."""

from __future__ import annotations

import copy
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from bridge import metrics
from bridge.credentials.local_lists import still_valid
from bridge.credentials.reasons import public_reason
from bridge.settings import Settings
from bridge.trust.api import IssuerDirectory, IssuerTrustBook
from issuer.errors import IssuerError
from issuer.fetch import FetchPolicy, SafeFetcher
from issuer.shacl import CredentialShapeChecker
from issuer.status import Bitstring, BitstringStatusChecker
from issuer.verify import VerificationReport, verify_credential

if TYPE_CHECKING:
    from bridge.db import Database

STATUS_ACCEPT = "application/vc+ld+json, application/vc, application/json"
LOCAL_LISTS_KEPT = 256  # this installation's status lists held loaded per verifier (a list is ~16 KB of bits)


class LocalListsKept(BitstringStatusChecker):
    """The status checker of a long-lived verifier (one per web process): this installation's own lists stay loaded,
    their proof checked once, for as long as their version in the database is unchanged — a revocation or
    suspension shows at the next verification, as before — and while the signed list is valid for another hour.
    Without it every verification read both lists (bits, allocation map and signed document) and checked their
    proofs again: about half its time. At most ``LOCAL_LISTS_KEPT`` lists, least recently used dropped; other
    issuers' lists are loaded every time, as before (their freshness is theirs to say)."""

    def __init__(self, fetch: Callable[[str], Mapping[str, Any]], verify_list: Callable[[Mapping[str, Any]], None],
                 version_of: Callable[[str], tuple[int, int] | None], now: Callable[[], datetime]) -> None:
        super().__init__(fetch, verify_list)
        self._version_of, self._now = version_of, now
        self._kept: OrderedDict[str, tuple[tuple[int, int], tuple[Mapping[str, Any], Bitstring]]] = OrderedDict()
        self._lock = threading.Lock()  # the web verifier is shared by the threadpool

    def _remembered(self, url: str) -> tuple[Mapping[str, Any], Bitstring]:
        version = self._version_of(url)
        if version is None:
            return self._load(url)
        with self._lock:
            kept = self._kept.get(url)
            if kept is not None and kept[0] == version and still_valid(kept[1][0], self._now()):
                self._kept.move_to_end(url)
                return kept[1]
        loaded = self._load(url)
        with self._lock:
            self._kept[url] = (version, loaded)
            while len(self._kept) > LOCAL_LISTS_KEPT:
                self._kept.popitem(last=False)
        return loaded


def fetch_policy(settings: Settings) -> FetchPolicy:
    """The installation's own origin and the hosts the administrator allows are trusted; nothing else private."""
    base = urlsplit(settings.base_url)
    own = (f"{base.scheme}://{base.netloc}",) if base.scheme and base.netloc else ()
    allowed = tuple(h.strip() for h in settings.fetch_allowed_hosts.replace(" ", ",").split(",") if h.strip())
    # the issuer registries an administrator configured are trusted origins, like the allowed hosts
    registries = tuple(f"{u.scheme}://{u.netloc}" for u in (urlsplit(r.url) for r in settings.trust_registries)
                       if u.scheme in ("http", "https") and u.netloc)
    return FetchPolicy(
        user_agent=settings.user_agent, trusted=own + allowed + registries, timeout=settings.fetch_timeout_seconds,
        max_bytes=settings.fetch_max_bytes, concurrency=settings.fetch_concurrency,
    )


class VerifyRecords(Protocol):
    """What verifying reads of this installation's records: ``CredentialRecords`` (the ORM, in every process), or
    ``leads verify``'s direct reader of the embedded SQLite file (``bridge/cli/sqlite_records.py``). The database
    is touched only to look an issuer up in the administrators' list (``IssuerTrustBook``)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def db(self) -> Database: ...
    @property
    def directory(self) -> IssuerDirectory: ...

    def clock(self) -> datetime: ...
    def local_status_list_id(self, url: str) -> str | None: ...
    def status_versions(self, list_ids: Collection[str]) -> dict[str, tuple[int, int]]: ...
    def status_list(self, list_id: str) -> tuple[dict[str, Any], int]: ...
    def revoked_reason(self, credential: dict[str, Any]) -> str | None: ...


class Verifier:
    """``verify(credential or JWT)`` → a report of every check. One fetcher per verifier (its cache and its bound
    on concurrent fetches are per process); pass ``fetcher`` to share or replace it, or ``on_network`` for the web
    process's gate (it is told before each fetch from the network)."""

    def __init__(self, service: VerifyRecords, *, fetcher: SafeFetcher | None = None,
                 on_network: Callable[[], None] | None = None) -> None:
        self.service = service
        settings = service.settings
        self.fetcher = fetcher or SafeFetcher(fetch_policy(settings), on_network=on_network)
        base = urlsplit(settings.base_url)
        insecure = (base.netloc,) if base.scheme == "http" and base.netloc else ()
        self.resolver = service.directory.resolver(fetcher=self.fetcher, insecure_hosts=insecure)
        self.status: BitstringStatusChecker = LocalListsKept(self._fetch_list, self._verify_list,
                                                             self._local_version, service.clock)
        self.shapes = CredentialShapeChecker()
        self._stamps: dict[str, tuple[int, int] | None] = {}
        self._versions = threading.local()  # this thread's verification: the versions read by _read_versions
        self.trust = IssuerTrustBook(lambda: service.db, service.settings, service.directory, fetch=self._fetch_bytes)

    def close(self) -> None:
        self.fetcher.close()

    def for_pass(self) -> Verifier:
        """This verifier for one pass over many credentials (the pool re-check): each status list is fetched and
        its proof checked once per pass — an unreachable one fails once, not once per entry. Shares the client."""
        twin = copy.copy(self)
        twin.status = BitstringStatusChecker(self._fetch_list, self._verify_list, memo={})
        return twin

    def _own_documents(self, credential: dict[str, Any] | str | bytes) -> None:
        """This installation's DID documents, read again only when a key index changed on disk (a rotation, by any
        process): rotated keys verify without a restart, and a verification costs one ``stat`` — of its issuer's
        key index when it names one of this installation's issuers, else one per issuer — not two file reads and a
        file lock (which made up most of a pool re-check over ten issuers)."""
        directory = self.service.directory
        issuer = credential.get("issuer") if isinstance(credential, dict) else None
        issuer = issuer.get("id") if isinstance(issuer, dict) else issuer
        own = directory.by_did(issuer) if isinstance(issuer, str) else None
        for org in (own,) if own is not None else directory.orgs.values():
            stamp = directory.keys_stamp(org)
            if stamp is None or self._stamps.get(org.slug) != stamp:
                self.resolver.add(directory.did_document(org))
                self._stamps[org.slug] = directory.keys_stamp(org)

    def _local_version(self, url: str) -> tuple[int, int] | None:
        """(version, signed version) of one of this installation's status lists; None for anyone else's."""
        local = self.service.local_status_list_id(url)
        if local is None:
            return None
        known: dict[str, tuple[int, int] | None] | None = getattr(self._versions, "known", None)
        if known is not None and local in known:
            return known[local]
        return self.service.status_versions([local]).get(local)

    def _read_versions(self, credential: dict[str, Any] | str | bytes) -> None:
        """The versions of every local status list the credential names, in one query before the checks (instead of
        one query per entry); kept for this verification only (the verifier is shared by the threadpool)."""
        self._versions.known = None
        if not isinstance(self.status, LocalListsKept):
            return  # a pass (``for_pass``) loads each list once and never asks for versions
        entries = credential.get("credentialStatus") if isinstance(credential, dict) else None
        entries = entries if isinstance(entries, list) else [entries]
        urls = [e.get("statusListCredential") for e in entries if isinstance(e, dict)]
        ids = {i for i in (self.service.local_status_list_id(u) for u in urls if isinstance(u, str)) if i is not None}
        if ids:
            found = self.service.status_versions(ids)
            self._versions.known = {i: found.get(i) for i in ids}

    def _fetch_list(self, url: str) -> Mapping[str, Any]:
        local = self.service.local_status_list_id(url)
        if local is not None:
            return self.service.status_list(local)[0]
        return self.fetcher.get_json(url, accept=STATUS_ACCEPT)

    def _fetch_bytes(self, url: str) -> bytes:
        """A registry document (issuer trust) through the same outbound client as DID documents and status lists."""
        return json.dumps(self.fetcher.get_json(url, accept="application/json")).encode()

    def _verify_list(self, document: Mapping[str, Any]) -> None:
        report = verify_credential(dict(document), resolver=self.resolver, now=self.service.clock(),
                                   require_status=False)
        if not report.ok:
            raise IssuerError(f"the status list {document.get('id')} does not verify: {report.summary()}",
                              code="status_verification")

    def verify(self, credential: dict[str, Any] | str | bytes) -> VerificationReport:
        self._own_documents(credential)
        self._read_versions(credential)
        start = time.perf_counter()
        try:
            with self.fetcher.budget(self.service.settings.verify_timeout_seconds):
                report = verify_credential(credential, resolver=self.resolver, now=self.service.clock(),
                                           status_checker=self.status, shape_checker=self.shapes,
                                           trust=self.trust.decide)
        except Exception:
            metrics.VERIFICATIONS.labels("error").inc()
            raise
        metrics.count_verification(report, time.perf_counter() - start)
        return self._with_reason(credential, report)

    def _with_reason(self, credential: dict[str, Any] | str | bytes, report: VerificationReport) -> VerificationReport:
        """A credential this installation issued and revoked: the status check names the public category of the
        reason when there is one (a retired signing key: a replacement exists), never the words the issuer typed
        for the record (``bridge.credentials.reasons``)."""
        failed = [i for i, c in enumerate(report.checks) if c.name == "status" and c.outcome in ("failed", "not_run")]
        if not failed or not isinstance(credential, dict):
            return report  # nothing to explain: no database read for the (usual) credential in good standing
        reason = public_reason(self.service.revoked_reason(credential))
        if reason is None:
            return report
        for i in failed:
            check = report.checks[i]
            report.checks[i] = replace(check, message=f"{check.message} (the issuer's reason: {reason})")
        return report
