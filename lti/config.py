"""Platform registrations and the storage the tool needs, as Protocols the application implements.

The application keeps registrations and launch state in its own database; this package only asks for the
operations below, so several processes can share state and the package stays free of any ORM.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pylti1p3.deployment import Deployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract

from lti.keys import KeyRing


@dataclass(frozen=True)
class PlatformRegistration:
    """One client id at one platform (an issuer may have many: Open edX gives one per LTI component)."""

    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    deployment_ids: tuple[str, ...] = field(default_factory=tuple)
    name: str = ""
    auth_audience: str | None = None

    def trust(self) -> tuple[str, str, str]:
        """What a launch under this registration is trusted by: the key set and the sign-in and token endpoints."""
        return self.key_set_url, self.auth_login_url, self.auth_token_url


def trust_conflicts(known: Iterable[PlatformRegistration], issuer: str, trust: tuple[str, str, str],
                    client_id: str | None = None) -> list[PlatformRegistration]:
    """The registrations of ``issuer`` (other than ``client_id``) trusting other keys or endpoints than ``trust``.

    A learner is ``issuer`` + ``sub`` (``sub`` is unique per issuer only), whatever the client id: a second client
    under an issuer with a key set of its own could sign launches as that platform's people. Every registration of
    one issuer must therefore share its trust anchor."""
    return [r for r in known if r.issuer == issuer and r.client_id != client_id and r.trust() != trust]


class ToolConfigStore(Protocol):
    def find(self, issuer: str, client_id: str | None) -> PlatformRegistration | None:
        """The registration for issuer + client id; with no client id, the issuer's only one (else None)."""

    def issuer_known(self, issuer: str) -> bool: ...

    def save(self, registration: PlatformRegistration) -> None:
        """Create or update (issuer, client_id); deployment ids are added to those already known."""

    def list(self) -> list[PlatformRegistration]: ...


class LaunchDataStore(Protocol):
    """Short-lived shared state: OIDC state records, launch data, cached platform key sets, nonces."""

    def put(self, key: str, value: Any, ttl: int) -> None: ...

    def get(self, key: str) -> Any | None: ...

    def put_new(self, key: str, value: Any, ttl: int) -> bool:
        """Store ``value`` unless ``key`` holds one not yet expired; True when stored. Atomic: of two processes
        writing the same new key at once, one gets True."""

    def add_nonce(self, nonce: str, ttl: int) -> None: ...

    def consume_nonce(self, nonce: str) -> bool:
        """True exactly once for a nonce added and not expired: the check and the removal are one atomic step."""


def to_pylti_registration(reg: PlatformRegistration, keys: KeyRing) -> Registration:
    out = Registration()
    out.set_issuer(reg.issuer).set_client_id(reg.client_id).set_auth_login_url(reg.auth_login_url)
    out.set_auth_token_url(reg.auth_token_url).set_key_set_url(reg.key_set_url)
    out.set_tool_private_key(keys.active.private_pem).set_tool_public_key(keys.active.public_pem)
    if reg.auth_audience:
        out.set_auth_audience(reg.auth_audience)
    return out


class StoreToolConf(ToolConfAbstract[Any]):
    """pylti1p3's tool configuration read from a ``ToolConfigStore`` (always many client ids per issuer)."""

    def __init__(self, store: ToolConfigStore, keys: KeyRing) -> None:
        self.store = store
        self.keys = keys

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(  # type: ignore[override]
        self, iss: str, *args: Any, **kwargs: Any
    ) -> Registration | None:
        return self.find_registration_by_params(iss, None)

    def find_registration_by_params(  # type: ignore[override]
        self, iss: str, client_id: str | None, *args: Any, **kwargs: Any
    ) -> Registration | None:
        reg = self.store.find(iss, client_id)
        return to_pylti_registration(reg, self.keys) if reg else None

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(self, iss: str, deployment_id: str, client_id: str | None, *args: Any,
                                  **kwargs: Any) -> Deployment | None:
        reg = self.store.find(iss, client_id)
        if reg is None or deployment_id not in reg.deployment_ids:
            return None
        return Deployment().set_deployment_id(deployment_id)
