"""Issuer-neutral inputs: what was achieved (from a credential design), by whom, when, and who awards it.

Nothing here knows about Wikibase or an LMS: the application maps its own records onto these dataclasses, and the
format builders (Open Badges 3.0, ELM EDC) turn them into unsigned credentials.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from issuer.documents.names import clean_name
from issuer.errors import IssuerError

LangText = Mapping[str, str]  # {"en": "Wikipedia editing", "es": "Edición de Wikipedia"}

ESCO_PREFIX = "http://data.europa.eu/esco/"
WIKIDATA_PREFIX = "http://www.wikidata.org/entity/"
_URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$")


def pick(text: LangText, lang: str) -> str:
    """The text in ``lang``, else English, else any language, else ''."""
    return text.get(lang) or text.get("en") or next(iter(text.values()), "")


def require_uri(value: str, what: str) -> str:
    if not _URI.match(value):
        raise IssuerError(f"{what} must be an absolute URI, got {value!r}", code="invalid_input", status=422)
    return value


@dataclass(frozen=True)
class Alignment:
    """A link from the achievement to a framework entry: an ESCO skill, a Wikidata item, a competence."""

    url: str
    name: str
    framework: str  # "ESCO", "Wikidata", "LEADS"
    target_type: str = "ceasn:Competency"  # OB 3.0 AlignmentTargetType (extensible with "ext:")
    code: str | None = None
    description: str | None = None

    @classmethod
    def esco(cls, uri: str, name: str) -> Alignment:
        return cls(url=uri, name=name, framework="ESCO", target_type="ceasn:Competency",
                   code=uri.rstrip("/").rsplit("/", 1)[-1])

    @classmethod
    def wikidata(cls, qid: str, name: str) -> Alignment:
        qid = qid.rsplit("/", 1)[-1]
        return cls(url=WIKIDATA_PREFIX + qid, name=name, framework="Wikidata", target_type="ext:WikidataItem",
                   code=qid)


@dataclass(frozen=True)
class OutcomeSpec:
    """A learning outcome of the design: its data-space URI, names and optional ESCO skill."""

    uri: str
    names: LangText
    esco: str | None = None


@dataclass(frozen=True)
class AchievementSpec:
    """A credential design as the issuer needs it. ``uri`` is the design's entity URI in the data space."""

    uri: str
    names: LangText
    descriptions: LangText = field(default_factory=dict)
    criteria: LangText = field(default_factory=dict)
    outcomes: tuple[OutcomeSpec, ...] = ()
    alignments: tuple[Alignment, ...] = ()
    ects: float | None = None
    eqf_level: int | None = None
    language: str = "en"
    achievement_type: str = "Certificate"

    def __post_init__(self) -> None:
        require_uri(self.uri, "the achievement (design) id")
        if not self.names:
            raise IssuerError("the achievement needs a name in at least one language", code="invalid_input",
                              status=422)
        if self.eqf_level is not None and not 1 <= self.eqf_level <= 8:
            raise IssuerError(f"EQF level must be 1 to 8, got {self.eqf_level}", code="invalid_input", status=422)
        if self.ects is not None and self.ects < 0:
            raise IssuerError(f"ECTS credit points cannot be negative ({self.ects})", code="invalid_input",
                              status=422)

    def name(self, lang: str | None = None) -> str:
        return pick(self.names, lang or self.language)

    def description(self, lang: str | None = None) -> str:
        return pick(self.descriptions, lang or self.language) or self.name(lang)

    def criteria_narrative(self, lang: str | None = None) -> str:
        return pick(self.criteria, lang or self.language) or (
            f"Awarded on successful completion of the assessments of “{self.name(lang)}”.")


def email_identity_hash(email: str, salt: str) -> str:
    """OB 3.0 IdentityHash of an e-mail address: ``sha256$`` + hex(sha256(normalised address + salt))."""
    normalised = email.strip().lower()
    return "sha256$" + hashlib.sha256((normalised + salt).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Learner:
    """The credential subject. ``identifier`` is a URI when the learner has one (a DID, an LMS user URN)."""

    name: str
    identifier: str | None = None
    email: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email_salt: str = field(default_factory=lambda: secrets.token_hex(8))

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise IssuerError("the learner needs a name", code="invalid_input", status=422)
        object.__setattr__(self, "name", clean_name(self.name))  # one rule for every way in (names.py)
        if self.identifier is not None:
            require_uri(self.identifier, "the learner identifier")

    @property
    def email_hash(self) -> str | None:
        return email_identity_hash(self.email, self.email_salt) if self.email else None


@dataclass(frozen=True)
class AssessmentResult:
    """One assessment the learner passed, with its grade as shown to people."""

    uri: str
    name: str
    grade: str | None = None


@dataclass(frozen=True)
class AwardFacts:
    """What happened: when, with which grade, in which course, after which assessments."""

    awarded: datetime
    grade: str | None = None
    course: str | None = None
    course_url: str | None = None
    assessments: tuple[AssessmentResult, ...] = ()

    def __post_init__(self) -> None:
        if self.awarded.tzinfo is None:
            raise IssuerError("the award date needs a time zone", code="invalid_input", status=422)


@dataclass(frozen=True)
class IssuerProfile:
    """The awarding organisation: its DID (the signer) and what ELM requires of a legal body."""

    did: str
    names: LangText
    url: str | None = None
    email: str | None = None
    legal_identifier: str = ""  # eIDAS legal identifier (for example a VAT or registry number)
    country: str = "BEL"  # EU authority table country code (ISO 3166-1 alpha-3)
    description: LangText = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_uri(self.did, "the issuer DID")
        if not re.fullmatch(r"[A-Z]{3}", self.country):
            raise IssuerError(f"country must be an ISO 3166-1 alpha-3 code such as BEL, got {self.country!r}",
                              code="invalid_input", status=422)

    def name(self, lang: str = "en") -> str:
        return pick(self.names, lang)


@dataclass(frozen=True)
class CredentialMeta:
    """Identity and life of one credential: its id, when it was issued, until when, and its status entries."""

    credential_id: str
    issued: datetime
    valid_until: datetime | None = None
    status: tuple[Mapping[str, Any], ...] = ()  # BitstringStatusListEntry dicts

    def __post_init__(self) -> None:
        require_uri(self.credential_id, "the credential id")
        if self.issued.tzinfo is None:
            raise IssuerError("the issue time needs a time zone", code="invalid_input", status=422)


def stamp(moment: datetime) -> str:
    """An XML Schema dateTime in UTC without fractions (what verifiers and the EDC shapes expect)."""
    from datetime import UTC

    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
