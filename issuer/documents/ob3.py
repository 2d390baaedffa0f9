"""Open Badges 3.0 ``OpenBadgeCredential`` (W3C VC 2.0 envelope), unsigned."""

from __future__ import annotations

from typing import Any

from issuer.documents.model import (
    AchievementSpec,
    Alignment,
    AwardFacts,
    CredentialMeta,
    IssuerProfile,
    Learner,
    stamp,
)

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


def _alignment(a: Alignment) -> dict[str, Any]:
    out: dict[str, Any] = {"type": ["Alignment"], "targetName": a.name, "targetUrl": a.url,
                           "targetType": a.target_type, "targetFramework": a.framework}
    if a.code:
        out["targetCode"] = a.code
    if a.description:
        out["targetDescription"] = a.description
    return out


def _alignments(spec: AchievementSpec) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out = []
    lang = spec.language
    candidates = list(spec.alignments) + [
        Alignment.esco(o.esco, o.names.get(lang) or next(iter(o.names.values()), o.esco))
        for o in spec.outcomes if o.esco
    ]
    for a in candidates:
        if a.url not in seen:
            seen.add(a.url)
            out.append(_alignment(a))
    return out


def _identities(learner: Learner) -> list[dict[str, Any]]:
    ids: list[dict[str, Any]] = [
        {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": learner.name}
    ]
    if learner.email_hash:
        ids.append({"type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
                    "identityHash": learner.email_hash, "salt": learner.email_salt})
    return ids


def build_openbadge(
    spec: AchievementSpec,
    learner: Learner,
    facts: AwardFacts,
    issuer: IssuerProfile,
    meta: CredentialMeta,
) -> dict[str, Any]:
    """The unsigned ``OpenBadgeCredential``: the achievement's ``id`` is the design's data-space URI."""
    lang = spec.language
    grade_id = f"{spec.uri}#grade"
    achievement: dict[str, Any] = {
        "id": spec.uri,
        "type": ["Achievement"],
        "achievementType": spec.achievement_type,
        "name": spec.name(),
        "description": spec.description(),
        "criteria": {"narrative": spec.criteria_narrative()},
        "inLanguage": lang,
    }
    alignment = _alignments(spec)
    if alignment:
        achievement["alignment"] = alignment
    if spec.ects is not None:
        achievement["creditsAvailable"] = spec.ects
    if spec.eqf_level is not None:
        achievement["tag"] = [f"EQF level {spec.eqf_level}"]
    results: list[dict[str, Any]] = []
    descriptions: list[dict[str, Any]] = []
    if facts.grade is not None:
        descriptions.append({"id": grade_id, "type": ["ResultDescription"], "name": "Final grade",
                             "resultType": "LetterGrade"})
        results.append({"type": ["Result"], "resultDescription": grade_id, "value": facts.grade})
    for assessment in facts.assessments:
        if assessment.grade is None:
            continue
        descriptions.append({"id": assessment.uri, "type": ["ResultDescription"], "name": assessment.name,
                             "resultType": "LetterGrade"})
        results.append({"type": ["Result"], "resultDescription": assessment.uri, "value": assessment.grade})
    if descriptions:
        achievement["resultDescription"] = descriptions

    subject: dict[str, Any] = {"type": ["AchievementSubject"]}
    if learner.identifier:
        subject["id"] = learner.identifier
    subject.update({"identifier": _identities(learner), "achievement": achievement,
                    "activityEndDate": stamp(facts.awarded)})
    if results:
        subject["result"] = results
    if spec.ects is not None:
        subject["creditsEarned"] = spec.ects
    if facts.course:
        subject["narrative"] = f"Course: {facts.course}" + (f" <{facts.course_url}>" if facts.course_url else "")

    profile: dict[str, Any] = {"id": issuer.did, "type": ["Profile"], "name": issuer.name(lang)}
    if issuer.url:
        profile["url"] = issuer.url
    if issuer.email:
        profile["email"] = issuer.email

    doc: dict[str, Any] = {
        "@context": [VC_V2, OB_V3],
        "id": meta.credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": profile,
        "validFrom": stamp(meta.issued),
        "awardedDate": stamp(facts.awarded),
        "name": spec.name(),
        "description": spec.description(),
        "credentialSubject": subject,
    }
    if meta.valid_until is not None:
        doc["validUntil"] = stamp(meta.valid_until)
    if meta.status:
        doc["credentialStatus"] = [dict(e) for e in meta.status] if len(meta.status) > 1 else dict(meta.status[0])
    return doc
