"""ELM v3 European Digital Credential (VC 1.1 envelope + EDC application profile context), unsigned.

The structure follows the EDC samples of ELM 3.2 (``issuer/data/elm``): a Person with a LearningAchievement
claim, specified by the credential design (a Qualification, which is a LearningAchievementSpecification), awarded
through an AwardingProcess by an Organisation with its eIDAS legal identifier and location. Nested nodes get
``urn:uuid`` ids derived from the credential id, so the same inputs always give the same document.
"""

from __future__ import annotations

import base64
import uuid
from functools import lru_cache
from importlib import resources
from typing import Any

from issuer.documents.model import (
    AchievementSpec,
    AwardFacts,
    CredentialMeta,
    IssuerProfile,
    LangText,
    Learner,
    stamp,
)

CRED_V1 = "https://www.w3.org/2018/credentials/v1"
EDC_AP = "http://data.europa.eu/snb/model/context/edc-ap"
STATUS_V1 = "https://www.w3.org/ns/credentials/status/v1"
EDC_SCHEMA = "http://data.europa.eu/snb/model/ap/edc-generic-full"

# EU Publications Office language authority codes for the languages LEADS designs are written in
LANGUAGES = {"en": "ENG", "es": "SPA", "fr": "FRA", "de": "DEU", "it": "ITA", "pt": "POR", "nl": "NLD",
             "ca": "CAT", "pl": "POL", "eu": "EUS", "gl": "GLG", "sv": "SWE", "cs": "CES", "el": "ELL"}
EVIDENCE_STATEMENT = (
    "Every claim inside this credential is made by the indicated awarding body, which maintains sole "
    "responsibility for it. The issuer's digital signature certifies the origin and integrity of each claim."
)


def concept(iri: str, scheme: str, label: str | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"id": iri, "type": "Concept", "inScheme": {"id": scheme, "type": "ConceptScheme"}}
    if label:
        node["prefLabel"] = {"en": label}
    return node


def country(code: str) -> dict[str, Any]:
    return concept(f"http://publications.europa.eu/resource/authority/country/{code}",
                   "http://publications.europa.eu/resource/authority/country")


def language(lang: str) -> dict[str, Any]:
    code = LANGUAGES.get(lang, "ENG")
    return concept(f"http://publications.europa.eu/resource/authority/language/{code}",
                   "http://publications.europa.eu/resource/authority/language")


def eqf(level: int) -> dict[str, Any]:
    return concept(f"http://data.europa.eu/snb/eqf/{level}", "http://data.europa.eu/snb/eqf/25831c2",
                   f"Level {level}")


def esco_skill(uri: str) -> dict[str, Any]:
    return concept(uri, "http://data.europa.eu/esco/concept-scheme/skills")


ECTS = concept("http://data.europa.eu/snb/education-credit/6fcec5c5af",
               "http://data.europa.eu/snb/education-credit/25831c2", "European Credit Transfer System")
GENERIC_PROFILE = concept("http://data.europa.eu/snb/credential/e34929035b",
                          "http://data.europa.eu/snb/credential/25831c2", "Generic")
EVIDENCE_TYPE = concept("http://data.europa.eu/snb/evidence-type/c_18016257",
                        "http://data.europa.eu/snb/evidence-type/25831c2")
BASE64 = concept("http://data.europa.eu/snb/encoding/6146cde7dd", "http://data.europa.eu/snb/encoding/25831c2",
                 "base64")
PNG = concept("http://publications.europa.eu/resource/authority/file-type/PNG",
              "http://publications.europa.eu/resource/authority/file-type", "PNG")


@lru_cache(maxsize=1)
def display_image() -> str:
    return base64.b64encode((resources.files("issuer") / "data" / "elm" / "display.png").read_bytes()).decode()


def _text(text: LangText) -> dict[str, str]:
    return {lang: value for lang, value in text.items() if value}


def _points(ects: float) -> str:
    return f"{ects:g}"


class _Ids:
    """Stable ids for nested nodes: uuid5 of the credential id and the node's role."""

    def __init__(self, credential_id: str) -> None:
        self.base = credential_id

    def __call__(self, role: str) -> str:
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, self.base + '/' + role)}"


def organisation(issuer: IssuerProfile, ids: _Ids) -> dict[str, Any]:
    """The issuer as an ELM Organisation: legal name, eIDAS legal identifier and location are mandatory."""
    org: dict[str, Any] = {
        "id": issuer.did,
        "type": "Organisation",
        "legalName": _text(issuer.names),
        "eIDASIdentifier": {
            "id": ids("legal-identifier"),
            "type": "LegalIdentifier",
            "notation": issuer.legal_identifier or issuer.did,
            "spatial": country(issuer.country),
        },
        "location": [{
            "id": ids("location"),
            "type": "Location",
            "address": {"id": ids("address"), "type": "Address", "countryCode": country(issuer.country)},
        }],
    }
    if issuer.url:
        org["homepage"] = [{"id": ids("homepage"), "type": "WebResource", "contentURL": issuer.url}]
    return org


def _specification(spec: AchievementSpec, ids: _Ids) -> dict[str, Any]:
    node: dict[str, Any] = {
        "id": spec.uri,
        "type": ["LearningAchievementSpecification", "Qualification"] if spec.eqf_level
        else "LearningAchievementSpecification",
        "title": _text(spec.names),
        "language": language(spec.language),
    }
    if spec.descriptions:
        node["description"] = _text(spec.descriptions)
    outcomes = []
    for outcome in spec.outcomes:
        item: dict[str, Any] = {"id": outcome.uri, "type": "LearningOutcome", "title": _text(outcome.names)}
        if outcome.esco:
            item["relatedESCOSkill"] = [esco_skill(outcome.esco)]
        outcomes.append(item)
    if outcomes:
        node["learningOutcome"] = outcomes
    if spec.ects is not None:
        node["creditPoint"] = [{"id": ids("credit-point"), "type": "CreditPoint", "framework": ECTS,
                                "point": _points(spec.ects)}]
    if spec.eqf_level is not None:
        node["eqfLevel"] = eqf(spec.eqf_level)
    return node


def _display(spec: AchievementSpec, ids: _Ids) -> dict[str, Any]:
    return {
        "id": ids("display"),
        "type": "DisplayParameter",
        "title": _text(spec.names),
        "primaryLanguage": language(spec.language),
        "language": [language(spec.language)],
        "individualDisplay": [{
            "id": ids("individual-display"),
            "type": "IndividualDisplay",
            "language": language(spec.language),
            "displayDetail": [{
                "id": ids("display-detail"),
                "type": "DisplayDetail",
                "image": {"id": ids("display-image"), "type": "MediaObject", "content": display_image(),
                          "contentEncoding": BASE64, "contentType": PNG},
                "page": 1,
            }],
        }],
    }


def _assessments(spec: AchievementSpec, facts: AwardFacts, org: dict[str, Any], ids: _Ids) -> list[Any]:
    lang = spec.language
    out: list[dict[str, Any]] = []
    if facts.grade is not None:
        out.append({
            "id": ids("assessment/final"), "type": "LearningAssessment",
            "title": {lang: f"Final assessment: {spec.name()}"},
            "grade": {"id": ids("grade/final"), "type": "Note", "noteLiteral": {lang: facts.grade}},
            "awardedBy": {"id": ids("awarding-process")},
            "assessedBy": [{"id": org["id"]}],
            "dateIssued": stamp(facts.awarded),
        })
    for a in facts.assessments:
        if a.grade is None:
            continue
        out.append({
            "id": ids(f"assessment/{a.uri}"), "type": "LearningAssessment", "title": {lang: a.name},
            "grade": {"id": ids(f"grade/{a.uri}"), "type": "Note", "noteLiteral": {lang: a.grade}},
            "awardedBy": {"id": ids("awarding-process")},
            "assessedBy": [{"id": org["id"]}],
        })
    return out


def build_edc(
    spec: AchievementSpec,
    learner: Learner,
    facts: AwardFacts,
    issuer: IssuerProfile,
    meta: CredentialMeta,
) -> dict[str, Any]:
    """The unsigned European Digital Credential; the design URI is the specification's ``id``."""
    ids = _Ids(meta.credential_id)
    lang = spec.language
    org = organisation(issuer, ids)
    person: dict[str, Any] = {
        "id": learner.identifier or ids("person"),
        "type": "Person",
        "fullName": {lang: learner.name},
    }
    if learner.given_name:
        person["givenName"] = {lang: learner.given_name}
    if learner.family_name:
        person["familyName"] = {lang: learner.family_name}
    claim: dict[str, Any] = {
        "id": ids("achievement"),
        "type": "LearningAchievement",
        "title": _text(spec.names),
        "awardedBy": {
            "id": ids("awarding-process"),
            "type": "AwardingProcess",
            "awardingBody": [org],
            "awardingDate": stamp(facts.awarded),
        },
        "specifiedBy": _specification(spec, ids),
    }
    if spec.descriptions:
        claim["description"] = _text(spec.descriptions)
    proven = _assessments(spec, facts, org, ids)
    if proven:
        claim["provenBy"] = proven
    if facts.course:
        claim["additionalNote"] = [{"id": ids("course-note"), "type": "Note",
                                    "noteLiteral": {lang: f"Course: {facts.course}"}}]
    person["hasClaim"] = [claim]

    issued = stamp(meta.issued)
    doc: dict[str, Any] = {
        "@context": [CRED_V1, EDC_AP, STATUS_V1],
        "id": meta.credential_id,
        "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
        "credentialProfiles": [GENERIC_PROFILE],
        "credentialSchema": [{"id": EDC_SCHEMA, "type": "ShaclValidator2017"}],
        "displayParameter": _display(spec, ids),
        "issuer": org,
        "issuanceDate": issued,
        "issued": issued,
        "validFrom": issued,
        "credentialSubject": person,
        "evidence": [{"id": ids("evidence"), "type": "Evidence", "evidenceStatement": EVIDENCE_STATEMENT,
                      "dcType": EVIDENCE_TYPE}],
    }
    if meta.valid_until is not None:
        doc["expirationDate"] = doc["validUntil"] = stamp(meta.valid_until)
    revocation = [e for e in meta.status if e.get("statusPurpose") == "revocation"]
    if revocation:  # the EDC shapes allow one credentialStatus: the revocation entry (see decision 005)
        doc["credentialStatus"] = {**revocation[0], "type": ["CredentialStatus", "BitstringStatusListEntry"]}
    return doc
