"""What a person sees on a certificate, read from the credential itself (any issuer: OB 3.0, VC 2.0, ELM EDC).

The page, the PDF and the verification page all show this one view, so they cannot disagree. It is read from the
signed document rather than from our database so that a credential from another issuer renders the same way.
Nothing here checks signatures: the view is display, the verifier decides trust.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bridge.errors import LeadsError
from issuer import jsonbound
from issuer.jsonbound import JsonTooDeep

_n = str  # msgid marker (the verification page translates it)

NOT_UTF8 = _n("This file is not UTF-8 text, so it is not a credential: a credential is JSON or a JWT. "
            "Upload the certificate PDF as downloaded, or the credential file itself.")

_EQF_TAG = re.compile(r"^EQF level (\d)$")
_EQF_IRI = re.compile(r"^http://data\.europa\.eu/snb/eqf/(\d)$")


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence the credential names (OB 3.0 ``evidence``, ELM ``evidence``)."""

    name: str
    description: str = ""
    url: str | None = None


@dataclass(frozen=True)
class CertificateView:
    credential_id: str
    format: str  # "ob3" | "edc" | "vc"
    learner: str
    title: str
    description: str = ""
    outcomes: tuple[str, ...] = ()
    competences: tuple[str, ...] = ()  # OB 3.0 alignments (competences, ESCO skills), by name
    ects: float | None = None
    eqf_level: int | None = None
    issuer_name: str = ""
    issuer_id: str = ""
    issuer_url: str | None = None
    issued: datetime | None = None
    valid_until: datetime | None = None
    achievement_id: str | None = None
    grade: str | None = None
    course: str | None = None
    evidence: tuple[Evidence, ...] = ()

    @property
    def design_key(self) -> str | None:
        """The data-space key when the achievement id is a LEADS entity URI (``…/entity/KEY``, ``…/designs/KEY``)."""
        if not self.achievement_id:
            return None
        match = re.search(r"/(?:entity|designs)/([a-z0-9][a-z0-9-]{0,199})/?$", self.achievement_id)
        return match.group(1) if match else None


def load_credential(raw: bytes | str | Mapping[str, Any]) -> dict[str, Any] | str:
    """JSON text or bytes to a credential value: an object, or a compact JWS string (enveloped credential)."""
    if isinstance(raw, Mapping):
        return dict(raw)
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise LeadsError(NOT_UTF8, code="credential_not_utf8", status=422) from None
    text = text.strip()
    if re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*", text):
        return text
    try:
        value = jsonbound.loads(text)  # JsonTooDeep (an IssuerError, 400) passes through
        json.dumps(value, ensure_ascii=False).encode("utf-8")  # a lone surrogate ("\ud800") cannot be shown
    except (ValueError, UnicodeError) as exc:  # JSONDecodeError; an integer of more than 4,300 digits
        raise LeadsError(
            "This is not JSON (%(exc)s). Paste the whole credential, from the first { to the last }.",
            code="credential_not_json", status=422,
         params={"exc": exc}) from None
    if isinstance(value, str) and value.count(".") == 2:
        return value
    if not isinstance(value, dict):
        raise LeadsError("A credential is a JSON object; this JSON is a %(kind)s.", code="credential_not_object",
                         status=422, params={"kind": type(value).__name__})
    if value.get("type") == "EnvelopedVerifiableCredential" and isinstance(value.get("id"), str):
        return value  # a VC 2.0 envelope: the view unwraps it
    return value


def _payload(credential: dict[str, Any] | str) -> dict[str, Any]:
    """The credential claims: the object itself, or the (unverified) payload of an enveloped JWS."""
    if isinstance(credential, dict):
        envelope = credential.get("id", "")
        if credential.get("type") == "EnvelopedVerifiableCredential" and isinstance(envelope, str):
            return _payload(envelope.split(",", 1)[-1])
        return credential
    try:
        part = credential.split(".")[1]
        claims = jsonbound.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError, JsonTooDeep) as exc:
        raise LeadsError("The compact JWS cannot be read (%(exc)s).", code="credential_not_json", status=422,
                         params={"exc": exc}) from None
    if not isinstance(claims, dict):
        raise LeadsError("The JWS payload is not a JSON object.", code="credential_not_object", status=422)
    inner = claims.get("vc")
    return inner if isinstance(inner, dict) else claims


def _text(value: Any, lang: str) -> str:
    """A plain string from a string, a language map ``{"en": …}``, a JSON-LD value or a list of those."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        tagged = [v for v in value if isinstance(v, dict) and v.get("@language") == lang]
        return _text(tagged[0] if tagged else (value[0] if value else None), lang)
    if isinstance(value, dict):
        if "@value" in value:
            return str(value["@value"])
        for key in (lang, "en", *value.keys()):
            if isinstance(value.get(key), str):
                return str(value[key])
    return str(value)


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _obj(value: Any) -> dict[str, Any]:
    """An object of the credential, or an empty one: anyone may paste a credential of any shape to be read."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _types(node: Mapping[str, Any]) -> list[str]:
    t = node.get("type", [])  # anyone's JSON: a type that is neither text nor a list of text is no type
    return [t] if isinstance(t, str) else [x for x in t if isinstance(x, str)] if isinstance(t, list) else []


def _evidence(doc: Mapping[str, Any], lang: str) -> tuple[Evidence, ...]:
    items = doc.get("evidence") or []
    found = []
    for item in items if isinstance(items, list) else [items]:
        if not isinstance(item, dict):
            continue
        name = _text(item.get("name") or item.get("title") or item.get("displayName"), lang)
        description = _text(item.get("narrative") or item.get("description") or item.get("evidenceStatement"), lang)
        url = next((str(v) for v in (item.get("id"), _first(item.get("accessURL"))) if isinstance(v, str)
                    and v.startswith(("https://", "http://"))), None)
        if name or description or url:
            found.append(Evidence(name or description or url or "", description if name else "", url))
    return tuple(found)


def valid_until(document: dict[str, Any]) -> datetime | None:
    """When a stored credential's validity ends (its JSON, or the payload of a VC-JOSE row ``{"jwt": token}``)."""
    jwt = document.get("jwt")
    doc = _payload(str(jwt)) if isinstance(jwt, str) and len(document) == 1 else document
    ends = _date(doc.get("validUntil") or doc.get("expirationDate"))
    return ends.replace(tzinfo=UTC) if ends is not None and ends.tzinfo is None else ends


def certificate_view(credential: dict[str, Any] | str, lang: str = "en") -> CertificateView:
    """The display view of any credential; unknown shapes still give a view with what can be found."""
    doc = _payload(credential)
    types = _types(doc)
    issuer = doc.get("issuer")
    issuer_node = issuer if isinstance(issuer, dict) else {"id": issuer or ""}
    common: dict[str, Any] = {
        "credential_id": str(doc.get("id", "")),
        "issuer_id": str(issuer_node.get("id", "")),
        "issued": _date(doc.get("validFrom") or doc.get("issuanceDate") or doc.get("issued")),
        "valid_until": _date(doc.get("validUntil") or doc.get("expirationDate")),
        "evidence": _evidence(doc, lang),
    }
    if "EuropeanDigitalCredential" in types:
        return _edc(doc, lang, issuer_node, common)
    return _ob3(doc, lang, issuer_node, common, "ob3" if "OpenBadgeCredential" in types
                or "AchievementCredential" in types else "vc")


def _ob3(doc: dict[str, Any], lang: str, issuer: Mapping[str, Any], common: dict[str, Any],
         fmt: str) -> CertificateView:
    subject = _obj(_first(doc.get("credentialSubject")))
    achievement = _obj(subject.get("achievement"))
    learner = ""
    for ident in _list(subject.get("identifier")):
        if isinstance(ident, dict) and ident.get("identityType") == "name" and not ident.get("hashed"):
            learner = str(ident.get("identityHash", ""))
    learner = learner or _text(subject.get("name"), lang) or str(subject.get("id", ""))
    eqf = None
    for tag in _list(achievement.get("tag")):
        m = _EQF_TAG.match(str(tag))
        if m:
            eqf = int(m.group(1))
    competences = tuple(dict.fromkeys(
        _text(a.get("targetName"), lang) for a in _list(achievement.get("alignment"))
        if isinstance(a, dict) and a.get("targetName")
    ))
    grade = None
    for result in _list(subject.get("result")):
        if isinstance(result, dict) and str(result.get("resultDescription", "")).endswith("#grade"):
            grade = str(result.get("value", ""))
    narrative = str(subject.get("narrative", ""))
    return CertificateView(
        **common,
        format=fmt,
        learner=learner,
        title=_text(achievement.get("name") or doc.get("name"), lang),
        description=_text(achievement.get("description") or doc.get("description"), lang),
        competences=competences,
        ects=_number(subject.get("creditsEarned", achievement.get("creditsAvailable"))),
        eqf_level=eqf,
        issuer_name=_text(issuer.get("name"), lang) or str(issuer.get("id", "")),
        issuer_url=issuer.get("url") if isinstance(issuer.get("url"), str) else None,
        achievement_id=achievement.get("id") if isinstance(achievement.get("id"), str) else None,
        grade=grade,
        course=narrative.removeprefix("Course: ").split(" <")[0] if narrative.startswith("Course: ") else None,
    )


def _edc(doc: dict[str, Any], lang: str, issuer: Mapping[str, Any], common: dict[str, Any]) -> CertificateView:
    person = _obj(_first(doc.get("credentialSubject")))
    claim = _obj(_first(person.get("hasClaim")))
    spec = _obj(_first(claim.get("specifiedBy")))
    outcomes = tuple(_text(o.get("title"), lang) for o in _list(spec.get("learningOutcome"))
                     if isinstance(o, dict))
    ects = None
    for point in _list(spec.get("creditPoint")):
        if isinstance(point, dict):
            ects = _number(point.get("point"))
    eqf_node = spec.get("eqfLevel")
    eqf_iri = eqf_node.get("id", "") if isinstance(eqf_node, dict) else str(eqf_node or "")
    m = _EQF_IRI.match(eqf_iri)
    grade = None
    proven = claim.get("provenBy")
    for proof in proven if isinstance(proven, list) else [proven]:
        if isinstance(proof, dict) and str(proof.get("id", "")) and proof.get("grade"):
            grade = grade or _text(_obj(proof["grade"]).get("noteLiteral"), lang)
    homepage = _first(issuer.get("homepage")) or {}
    return CertificateView(
        **common,
        format="edc",
        learner=_text(person.get("fullName"), lang)
        or " ".join(filter(None, [_text(person.get("givenName"), lang), _text(person.get("familyName"), lang)])),
        title=_text(claim.get("title") or spec.get("title"), lang),
        description=_text(claim.get("description") or spec.get("description"), lang),
        outcomes=tuple(o for o in outcomes if o),
        ects=ects,
        eqf_level=int(m.group(1)) if m else None,
        issuer_name=_text(issuer.get("legalName"), lang) or str(issuer.get("id", "")),
        issuer_url=homepage.get("contentURL") if isinstance(homepage, dict) else None,
        achievement_id=spec.get("id") if isinstance(spec.get("id"), str) else None,
        grade=grade,
    )
