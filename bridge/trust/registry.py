"""Issuer registries in the Digital Credentials Consortium's format (the "dcc-legacy" registries that
``knownDIDRegistries`` of ``@digitalcredentials/verifier-core`` and ``@digitalcredentials/issuer-registry-client``
read), e.g. https://digitalcredentials.github.io/sandbox-registry/registry.json::

    {"meta": {"created": "…", "updated": "…"},
     "registry": {"did:key:z6Mk…": {"name": "My University", "location": "Cambridge, MA, USA",
                                     "url": "https://…"}}}

Only ``registry`` is read (``meta`` is informative); each entry needs a ``name``. A DID listed in several registries
takes its entry from the first one configured: configure them from most to least authoritative (DCC's rule).
Pure: parsing only; loading, caching and refreshing live in ``bridge.trust.sources``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bridge.errors import LeadsError
from issuer.documents.names import strip_name

DID = re.compile(r"^did:[a-z0-9]+:[A-Za-z0-9._:%-]+$")


@dataclass(frozen=True)
class RegistryEntry:
    did: str
    name: str
    registry: str  # the registry's name as configured (e.g. "DCC Sandbox Registry")
    url: str | None = None
    location: str | None = None


def bare_did(value: str) -> str:
    """The DID without fragment or query (a verification method id names its DID before the '#')."""
    return value.split("#", 1)[0].split("?", 1)[0]


def check_did(did: str) -> str:
    did = did.strip()
    if not DID.match(did):
        raise LeadsError("%(did)s is not a DID: expected did:<method>:<id>, e.g. did:web:example.org or "
                         "did:key:z6Mk…", code="invalid_did", status=422, params={"did": repr(did)})
    return did


def parse_registry(data: Any, *, source: str) -> dict[str, RegistryEntry]:
    """The entries of one registry document; refuses the whole document when it is not in the format, so that a
    damaged download never replaces the last good copy."""
    where = f"the issuer registry {source}"
    if not isinstance(data, dict) or not isinstance(data.get("registry"), dict):
        raise LeadsError("%(where)s is not in the DCC registry format: expected a JSON object with a \"registry\" "
                         "object mapping each issuer DID to {\"name\": …, \"url\": …, \"location\": …}",
                         code="registry_format", status=422, params={"where": where})
    entries: dict[str, RegistryEntry] = {}
    problems = []
    for did, info in data["registry"].items():
        if not isinstance(did, str) or not DID.match(did):
            problems.append(f"{did!r} is not a DID")
            continue
        name = info.get("name") if isinstance(info, dict) else None
        # a name a machine sends loses what the one name rule refuses (control, invisible characters), as an LMS's
        name = strip_name(" ".join(name.split()), 300)[0] if isinstance(name, str) else ""
        if not name:
            problems.append(f"{did} has no \"name\"")
            continue
        url, location = info.get("url"), info.get("location")
        entries[did] = RegistryEntry(did, name, source,
                                     url if isinstance(url, str) and url.startswith(("https://", "http://")) else None,
                                     location if isinstance(location, str) else None)
    if problems:
        shown = "; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
        raise LeadsError("%(where)s has entries LEADS cannot use: %(shown)s. Fix them at the source; until then the "
                         "last good copy stays in use.", code="registry_format", status=422,
                         params={"where": where, "shown": shown})
    return entries
