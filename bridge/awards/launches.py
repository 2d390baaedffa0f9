"""What the award pipeline learns from every LTI launch: who the user is (name, e-mail), what the course is called,
and where its grade (AGS) and roster (NRPS) services are — so that `leads awards poll` knows the course after any
launch, not only after someone opened the claim page or the dashboard."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bridge.awards import intake, people
from bridge.awards.rules import AwardRules
from bridge.db import Database

CLAIM_CONTEXT = "https://purl.imsglobal.org/spec/lti/claim/context"
CLAIM_CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
CLAIM_AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
CLAIM_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
CLAIM_MESSAGE_TYPE = "https://purl.imsglobal.org/spec/lti/claim/message_type"


@dataclass(frozen=True)
class Who:
    learner: str
    user_id: str
    source: str
    context: str
    design: str | None
    name: str | None
    email: str | None
    instructor: bool
    issuer: str = ""
    client_id: str = ""
    ags: dict[str, Any] | None = None
    roster: dict[str, Any] | None = None
    context_title: str | None = None
    claim_link: bool = False


def full_name(claims: Mapping[str, Any]) -> str | None:
    """``name``, else ``given_name family_name`` (platforms send what their privacy settings allow)."""
    name = people.clean_name(claims.get("name"))
    if name:
        return name
    parts = [claims.get("given_name"), claims.get("family_name")]
    return people.clean_name(" ".join(p for p in parts if isinstance(p, str)))


def who_from_claims(claims: Mapping[str, Any], lms_sources: Mapping[str, str], instructor: bool) -> Who:
    iss, sub = str(claims.get("iss", "")), str(claims.get("sub", ""))
    # a mapped issuer meets its webhook learners ("moodle:42"); otherwise a URI naming the platform and user
    source = lms_sources.get(iss) or f"lti:{quote(iss, safe='')}"
    context_claim = claims.get(CLAIM_CONTEXT)
    context = context_claim.get("id", "") if isinstance(context_claim, Mapping) else ""
    custom = claims.get(CLAIM_CUSTOM)
    custom = custom if isinstance(custom, Mapping) else {}
    azp, aud = claims.get("azp"), claims.get("aud")
    client_id = azp if isinstance(azp, str) else aud[0] if isinstance(aud, list) and aud else str(aud or "")
    ags, roster = claims.get(CLAIM_AGS), claims.get(CLAIM_NRPS)
    email = claims.get("email")
    design = custom.get("leads_design")
    return Who(learner=people.learner_key(source, sub), user_id=sub, source=source, context=f"{source}:{context}",
               design=str(design) if design else None, name=full_name(claims),
               email=email if isinstance(email, str) and email else None, instructor=instructor, issuer=iss,
               client_id=client_id, ags=dict(ags) if isinstance(ags, Mapping) else None,
               roster=dict(roster) if isinstance(roster, Mapping) else None,
               context_title=people.context_title(claims), claim_link=custom.get("leads_action") == "claim")


def record_launch(db: Database, who: Who, rules: AwardRules | None = None) -> None:
    """Keep the user's name, the course title and (with AGS and a LEADS link) the course for the poll.

    A course opens with many first launches at once: two processes may both find no row for the same course (or
    person) and both insert it. The loser's transaction would take the learner's name with it, so it runs again
    and finds the winner's row (each conflict leaves one more row in place: three tables, at most three retries).
    """
    for attempt in range(4):
        try:
            with db.session() as session:
                _record(session, who, rules)
            return
        except IntegrityError:
            if attempt == 3:
                raise


def _record(session: Session, who: Who, rules: AwardRules | None) -> None:
    if who.name and who.user_id:
        people.remember_person(session, who.learner, who.name, who.email, origin="launch")
    if who.context_title:
        people.remember_context(session, who.context, who.context_title)
    if who.ags and who.design:
        intake.remember_target(session, context=who.context, design=who.design, source=who.source,
                               issuer=who.issuer, client_id=who.client_id, endpoint=who.ags, roster=who.roster,
                               root=who.claim_link, rules=rules)
