"""Credential document formats behind a protocol and a registry, so another format (say, a national profile) can
plug in: it builds the unsigned document, checks it before signing, and says which status entries it can carry."""

from __future__ import annotations

from typing import Any, Protocol

from issuer.documents.elm import build_edc
from issuer.documents.model import AchievementSpec, AwardFacts, CredentialMeta, IssuerProfile, Learner
from issuer.documents.ob3 import build_openbadge
from issuer.errors import UnsupportedFeature
from issuer.shacl.checker import check_ob3


class CredentialFormat(Protocol):
    name: str
    status_purposes: tuple[str, ...]  # the BitstringStatusListEntry purposes a document of this format carries

    def build(self, spec: AchievementSpec, learner: Learner, facts: AwardFacts, issuer: IssuerProfile,
              meta: CredentialMeta) -> dict[str, Any]: ...

    def check(self, document: dict[str, Any]) -> None:
        """Raise an IssuerError when the unsigned document must not be signed."""
        ...


class OpenBadgeFormat:
    name = "ob3"
    status_purposes: tuple[str, ...] = ("revocation", "suspension")

    def build(self, spec: AchievementSpec, learner: Learner, facts: AwardFacts, issuer: IssuerProfile,
              meta: CredentialMeta) -> dict[str, Any]:
        return build_openbadge(spec, learner, facts, issuer, meta)

    def check(self, document: dict[str, Any]) -> None:
        """1EdTech's AchievementCredential JSON schema: a spec's values (an achievement type, an alignment's target
        type) reach the document as they are, and the schema restricts some of them."""
        check_ob3(document)


class EuropeanDigitalCredentialFormat:
    name = "edc"
    status_purposes: tuple[str, ...] = ("revocation",)  # the EDC shapes allow one credentialStatus

    def build(self, spec: AchievementSpec, learner: Learner, facts: AwardFacts, issuer: IssuerProfile,
              meta: CredentialMeta) -> dict[str, Any]:
        return build_edc(spec, learner, facts, issuer, meta)

    def check(self, document: dict[str, Any]) -> None:
        from issuer.shacl import check_edc  # pyshacl loads only when an EDC is issued

        check_edc(document)


_FORMATS: dict[str, CredentialFormat] = {}


def register_format(fmt: CredentialFormat) -> None:
    _FORMATS[fmt.name] = fmt


def get_format(name: str) -> CredentialFormat:
    fmt = _FORMATS.get(name)
    if fmt is None:
        raise UnsupportedFeature(f"unknown credential format {name!r}; known: {', '.join(format_names())}")
    return fmt


def format_names() -> list[str]:
    return sorted(_FORMATS)


register_format(OpenBadgeFormat())
register_format(EuropeanDigitalCredentialFormat())
