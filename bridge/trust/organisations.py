"""The organisations that issue credentials from this installation, their did:web identities and key rings.

The first organisation (``root``) is the installation itself: ``did:web:<host>`` served at
``/.well-known/did.json``. Others are ``did:web:<host>:issuers:<slug>`` served at ``/issuers/<slug>/did.json``.
They are listed in ``<data_dir>/issuers.json`` (a JSON list of objects with the fields of ``IssuerOrg``); without
that file the installation issues as itself only. Each organisation has its own key ring in
``<data_dir>/keys/<slug>`` (generated at first use, encrypted with ``LEADS_KEY_PASSPHRASE`` when set).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from bridge.errors import LeadsError, NotFound
from bridge.settings import Settings
from issuer.did import did_web_document, did_web_from_url
from issuer.did.resolver import DidResolver
from issuer.documents import IssuerProfile
from issuer.keys import FileKeyStore, Signer


@dataclass(frozen=True)
class IssuerOrg:
    slug: str
    names: dict[str, str]
    legal_identifier: str
    country: str = "BEL"
    url: str | None = None
    email: str | None = None
    root: bool = False
    description: dict[str, str] = field(default_factory=dict)


DEFAULT_ROOT = IssuerOrg(
    slug="leads",
    names={"en": "LEADS learning data space", "es": "Espacio de datos de aprendizaje LEADS"},
    legal_identifier="LEADS-DEVELOPMENT",
    country="BEL",
    root=True,
)


def load_orgs(path: Path) -> list[IssuerOrg]:
    if not path.is_file():
        return [DEFAULT_ROOT]
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        orgs = [IssuerOrg(**{k: v for k, v in item.items()}) for item in raw]
    except (ValueError, TypeError) as exc:
        raise LeadsError("%(path)s: not a JSON list of issuer organisations (%(exc)s); each needs slug, names and "
                         "legal_identifier", code="issuers_config", status=500,
                         params={"path": path, "exc": exc}) from None
    if not orgs:
        return [DEFAULT_ROOT]
    if not any(o.root for o in orgs):
        orgs[0] = IssuerOrg(**{**orgs[0].__dict__, "root": True})
    return orgs


class IssuerDirectory:
    """Every issuing organisation with its DID, DID document and signer."""

    def __init__(self, settings: Settings, orgs: list[IssuerOrg] | None = None) -> None:
        self.settings = settings
        self.orgs = {o.slug: o for o in (orgs or load_orgs(settings.data_dir / "issuers.json"))}
        self._stores: dict[str, FileKeyStore] = {}
        # what verification asks for every credential, worked out once (keyed by the settings they come from, which
        # a test may change): a DID is a URL parse, and a verification looks up one and stats every key index
        self._dids: dict[tuple[str, str], str] = {}
        self._by_did: tuple[str, dict[str, IssuerOrg]] = ("", {})
        self._key_indexes: dict[tuple[Path, str], str] = {}

    @cached_property
    def root(self) -> IssuerOrg:
        return next(o for o in self.orgs.values() if o.root)

    def get(self, slug: str | None = None) -> IssuerOrg:
        if slug is None:
            return self.root
        org = self.orgs.get(slug)
        if org is None:
            raise NotFound("no issuing organisation %(slug)s; known: %(known)s",
                           code="issuer_not_found", params={"slug": repr(slug), "known": ", ".join(sorted(self.orgs))})
        return org

    def did(self, org: IssuerOrg) -> str:
        base = self.settings.base_url
        found = self._dids.get((base, org.slug))
        if found is None:
            found = did_web_from_url(base) if org.root else did_web_from_url(base, ["issuers", org.slug])
            self._dids[(base, org.slug)] = found
        return found

    def by_did(self, did: str) -> IssuerOrg | None:
        base = self.settings.base_url
        if self._by_did[0] != base or not self._by_did[1]:
            self._by_did = (base, {self.did(o): o for o in self.orgs.values()})
        return self._by_did[1].get(did.split("#", 1)[0])

    def keys(self, org: IssuerOrg) -> FileKeyStore:
        if org.slug not in self._stores:
            secret = self.settings.key_passphrase
            pin = self.settings.pkcs11_pin
            self._stores[org.slug] = FileKeyStore(
                self.settings.data_dir / "keys" / org.slug, secret.get_secret_value() if secret else None,
                backend_secrets={"pkcs11": {"pin": pin.get_secret_value()}} if pin else None)
        return self._stores[org.slug]

    def signer(self, org: IssuerOrg) -> tuple[Signer, str]:
        """The active signer and its verification method id."""
        signer = self.keys(org).active()
        return signer, f"{self.did(org)}#{signer.key_id}"

    def keys_stamp(self, org: IssuerOrg) -> tuple[int, int] | None:
        """When and how the key index of ``org`` last changed (None: no key yet), to re-read it only then."""
        where = (self.settings.data_dir, org.slug)
        path = self._key_indexes.get(where)
        if path is None:
            path = self._key_indexes[where] = str(self.settings.data_dir / "keys" / org.slug / "keys.json")
        try:
            stat = os.stat(path)
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def did_document(self, org: IssuerOrg) -> dict[str, Any]:
        return did_web_document(self.did(org), self.keys(org).keys())

    def profile(self, org: IssuerOrg) -> IssuerProfile:
        return IssuerProfile(did=self.did(org), names=org.names, url=org.url or self.settings.base_url,
                             email=org.email, legal_identifier=org.legal_identifier, country=org.country,
                             description=org.description)

    def resolver(self, **kwargs: Any) -> DidResolver:
        """A resolver that knows this installation's DID documents (no HTTP for them) and fetches others."""
        resolver = DidResolver(**kwargs)
        for org in self.orgs.values():
            resolver.add(self.did_document(org))
        return resolver
