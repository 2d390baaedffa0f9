"""Who vouches for an issuer: this installation (its own organisations), its administrators (the trusted issuers
table), or a registry it follows (``LEADS_TRUST_REGISTRIES``) — in that order. Anyone else is unknown: their
credentials can be genuine, but LEADS does not call them verified.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bridge.errors import LeadsError, NotFound
from bridge.settings import Settings
from bridge.trust.organisations import IssuerDirectory
from bridge.trust.registry import bare_did, check_did
from bridge.trust.sources import Fetch, RegistrySources, SourceState
from issuer.documents.names import name_problem
from issuer.verify import IssuerTrust

if TYPE_CHECKING:
    from bridge.db import Database
    from bridge.trust.tables import TrustedIssuerRow

ADMINS = "admin"  # IssuerTrust.registry of issuers added by this installation's administrators (pages translate it)


@dataclass(frozen=True)
class TrustedIssuer:
    did: str
    name: str
    url: str | None
    added_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {"did": self.did, "name": self.name, "url": self.url, "added_at": self.added_at.isoformat()}


def issuer_did(credential: dict[str, Any]) -> str:
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return bare_did(issuer) if isinstance(issuer, str) else ""


def _plain(value: Any) -> list[str]:
    """Every plain string a name field holds (a string, a language map, JSON-LD values, lists of those)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [text for item in value for text in _plain(item)]
    if isinstance(value, dict):
        if "@value" in value:
            return _plain(value["@value"])
        return [text for item in value.values() for text in _plain(item)]
    return []


def claimed_names(credential: dict[str, Any]) -> list[str]:
    """The names the credential gives its issuer (OB 3.0 / VC ``issuer.name``, ELM ``issuer.legalName``)."""
    issuer = credential.get("issuer")
    if not isinstance(issuer, dict):
        return []
    return [" ".join(n.split()) for key in ("name", "legalName") for n in _plain(issuer.get(key)) if n.strip()]


def _table() -> type[TrustedIssuerRow]:
    """The administrators' table, imported when first used: trust in this installation's own issuers is decided
    without the database, so ``leads verify`` of its own credential never loads the ORM (benchmarks/bench_cli.py)."""
    from bridge.trust.tables import TrustedIssuerRow

    return TrustedIssuerRow


class IssuerTrustBook:
    """Decides ``IssuerTrust`` for a credential, and keeps the administrators' list of trusted issuers."""

    def __init__(self, database: Callable[[], Database], settings: Settings, directory: IssuerDirectory, *,
                 fetch: Fetch, now: Callable[[], float] | None = None) -> None:
        self._database = database  # asked for on first use: deciding for an own issuer needs no database
        self.directory = directory
        extra = {"now": now} if now is not None else {}
        self.registries = RegistrySources(settings.trust_registries, settings.data_dir / "cache" / "trust",
                                          refresh_seconds=settings.trust_refresh_seconds, fetch=fetch, **extra)

    @property
    def db(self) -> Database:
        return self._database()

    # -- deciding -----------------------------------------------------------------------------------------------

    def decide(self, credential: dict[str, Any]) -> IssuerTrust:
        did = issuer_did(credential)
        claimed = claimed_names(credential)
        first = claimed[0] if claimed else ""
        org = self.directory.by_did(did) if did else None
        if org is not None:
            names = [n for n in org.names.values() if n]
            name = next((n for n in claimed if n in names), org.names.get("en") or (names[0] if names else did))
            return IssuerTrust(did, "own", name=name, claimed_name=name if name in claimed else first,
                               url=org.url or self.directory.settings.base_url)
        if not did:
            return IssuerTrust(did, "unknown", claimed_name=first)
        row = self._row(did)
        if row is not None:
            return IssuerTrust(did, "registry", name=row.name, registry=ADMINS, claimed_name=first, url=row.url)
        entry = self.registries.lookup(did)
        if entry is not None:
            return IssuerTrust(did, "registry", name=entry.name, registry=entry.registry, claimed_name=first,
                               url=entry.url)
        return IssuerTrust(did, "unknown", claimed_name=first)

    def _row(self, did: str) -> TrustedIssuer | None:
        with self.db.session() as session:
            row = session.get(_table(), did)
            return TrustedIssuer(row.did, row.name, row.url, row.added_at) if row is not None else None

    # -- the administrators' list -------------------------------------------------------------------------------

    def trust(self, did: str, name: str, url: str | None = None) -> TrustedIssuer:
        """Add (or rename) an issuer the administrators vouch for."""
        did = check_did(bare_did(did))
        name = " ".join(name.split())
        problem = name_problem(name, 300)  # the one name rule: verifiers read this name beside a credential
        if problem:
            raise LeadsError("give the issuer's name as people should see it: %(problem)s", code="invalid_name",
                             status=422, params={"problem": problem})
        name = unicodedata.normalize("NFC", name)
        if url is not None and not url.startswith(("https://", "http://")):
            raise LeadsError("the issuer's web site must be an http(s) URL, not %(url)s", code="invalid_url",
                             status=422, params={"url": repr(url)})
        if self.directory.by_did(did) is not None:
            raise LeadsError("%(did)s is one of this installation's own issuers: it is trusted already",
                             code="own_issuer", status=409, params={"did": did})
        with self.db.session() as session:
            row = session.get(_table(), did)
            if row is None:
                row = _table()(did=did, name=name, url=url)
                session.add(row)
            else:
                row.name, row.url = name, url
            session.flush()
            return TrustedIssuer(row.did, row.name, row.url, row.added_at)

    def untrust(self, did: str) -> None:
        with self.db.session() as session:
            row = session.get(_table(), bare_did(did.strip()))
            if row is None:
                raise NotFound("%(did)s is not among the issuers the administrators trust (leads issuers list)",
                               code="issuer_not_trusted", params={"did": did})
            session.delete(row)

    def trusted(self) -> list[TrustedIssuer]:
        from sqlalchemy import select

        table = _table()
        with self.db.session() as session:
            rows = session.scalars(select(table).order_by(table.name, table.did))
            return [TrustedIssuer(r.did, r.name, r.url, r.added_at) for r in rows]

    def refresh(self) -> list[SourceState]:
        return self.registries.refresh()
