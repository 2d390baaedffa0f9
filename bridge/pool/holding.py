"""Proof of holding for the pool: only the holder of a credential may publish it (decision 012).

- Inside an LTI launch the launch says who the learner is: only that learner's own awards are accepted
  (``bridge.pool.launch_pages``).
- Through the API and the web form the publisher sends a Verifiable Presentation signed over a challenge LEADS
  issued (single use) and this site's domain, by the DID that is the credential's ``credentialSubject.id``.
- A credential that names no subject DID cannot be proven this way: its learner publishes it inside the LMS.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from bridge.db import Database
from bridge.errors import LeadsError
from bridge.pool import service
from bridge.pool.tables import PoolEntry
from bridge.settings import Settings
from bridge.wallets.api import nonces
from issuer.errors import IssuerError
from issuer.holder import subject_did, verify_presentation
from issuer.proofs.jose import peek

LMS_ONLY = ("this credential names no holder DID (its credentialSubject has no 'id' such as did:key:…), so no "
            "presentation can prove who holds it; its learner can publish it from 'My certificates' inside the "
            "course (LMS), or claim a wallet-bound copy there and present that")


def domain(settings: Settings) -> str:
    """What presentations must be bound to: the host (and port) of this installation's base URL."""
    return urlsplit(settings.base_url).netloc


def challenge(settings: Settings, now: datetime) -> dict[str, Any]:
    value, expires = nonces.issue(settings.secret_key.get_secret_value(), nonces.POOL, now)  # nothing stored
    return {"challenge": value, "domain": domain(settings), "expires_at": expires.isoformat(),
            "how": "sign a Verifiable Presentation holding the credential over this challenge and domain with the "
                   "key of the credential's subject DID (Data Integrity: proofPurpose authentication, challenge, "
                   "domain; or a VP-JWT with nonce = challenge and aud = domain), then send it as 'presentation'"}


def _document(credential: dict[str, Any] | str) -> dict[str, Any]:
    if isinstance(credential, dict):
        return credential
    try:
        return peek(credential).payload
    except IssuerError:
        return {}


def refuse_bare(credential: dict[str, Any] | str | None) -> LeadsError:
    """Why a credential sent without a presentation is refused (tailored to whether it names a holder DID)."""
    if credential and subject_did(_document(credential)) is None:
        return service.PoolRefused(LMS_ONLY, "holder_not_provable", status=403)
    return service.PoolRefused(
        "publishing needs proof that you hold this credential: ask POST /api/pool/challenges for a challenge, "
        "sign a Verifiable Presentation holding the credential over that challenge and this site's domain with "
        "the key of its subject DID, and send it as 'presentation'", "holder_proof_required", status=422)


def publish_presented(db: Database, verifier: service.Verifier, settings: Settings, *, handle: str, token: str,
                      presentation: dict[str, Any] | str, now: datetime) -> PoolEntry:
    """Publish the one credential of ``presentation`` under ``handle`` once the presentation proves holding it."""
    service.check_token(db, handle, token)
    claimed = _claimed_challenge(presentation)
    try:
        shown = verify_presentation(presentation, challenge=claimed, domain=domain(settings), now=now)
    except IssuerError as exc:
        raise service.PoolRefused("the presentation does not prove that you hold the credential: %(message)s",
                                  "presentation_invalid", params={"message": exc.message}) from None
    with db.session() as session:
        try:
            nonces.spend(session, settings.secret_key.get_secret_value(), claimed, nonces.POOL, now,
                         code="challenge_invalid",
                         what="challenge of the presentation")
        except LeadsError as exc:
            raise service.PoolRefused(exc.template, "challenge_invalid", params=exc.params) from None
    if len(shown.credentials) != 1:
        raise service.PoolRefused("the presentation holds %(count)s credentials; present one at a time",
                                  "one_credential", params={"count": len(shown.credentials)})
    credential = shown.credentials[0]
    subject = subject_did(_document(credential))
    if subject is None:
        raise service.PoolRefused(LMS_ONLY, "holder_not_provable", status=403)
    if subject != shown.holder.did:
        raise service.PoolRefused(
            "this credential was issued to %(subject)s, but the presentation is signed by %(did)s: only the person "
            "holding the credential's key can publish it", "not_holder", status=403,
            params={"subject": subject, "did": shown.holder.did})
    return service.publish(db, verifier, handle=handle, token=token, credential=credential,
                           entity_base=settings.entity_base, holder_proof=shown.form, holder_did=shown.holder.did)


def _claimed_challenge(presentation: dict[str, Any] | str) -> str:
    """The challenge the presentation says it was made for (checked against the signature, then spent)."""
    if isinstance(presentation, dict):
        proof = presentation.get("proof")
        first = proof[0] if isinstance(proof, list) and proof else proof
        value = first.get("challenge") if isinstance(first, dict) else None
    else:
        value = _document(presentation).get("nonce")
    if not isinstance(value, str) or not value:
        raise service.PoolRefused("the presentation carries no challenge; ask POST /api/pool/challenges for one and "
                                  "sign the presentation over it", "challenge_invalid")
    return value
