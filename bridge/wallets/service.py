"""OpenID4VCI 1.0, pre-authorized code flow: offers for an award, the token and nonce endpoints, and the credential
endpoint that binds the credential to the wallet's DID (``credentialSubject.id``) after checking its key proof.

Issuing signs (blocking CPU): the routes calling ``credential`` are plain ``def`` routes, run in the threadpool.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import delete, or_, select, update

from bridge.awards.api import Award
from bridge.credentials.api import CredentialService, IssueInput
from bridge.db import Database
from bridge.db.base import aware
from bridge.errors import LeadsError
from bridge.wallets import nonces
from bridge.wallets.tables import WalletOffer
from issuer.documents.ob3 import OB_V3, VC_V2
from issuer.errors import IssuerError
from issuer.holder import KeyProof, verify_key_proof
from issuer.holder.jwt import ALGORITHMS

PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
OFFER_LIFETIME = timedelta(minutes=15)
TOKEN_LIFETIME = timedelta(minutes=10)
OB_TYPES = ["VerifiableCredential", "OpenBadgeCredential"]
# credential configuration id → the CredentialService format that issues it
CONFIGURATIONS = {"OpenBadgeCredential_ldp_vc": "ob3", "OpenBadgeCredential_jwt_vc_json": "jwt"}
Clock = Callable[[], datetime]


class OAuthError(LeadsError):
    """An OAuth / OpenID4VCI error response: ``{"error": code, "error_description": message}``."""

    def __init__(self, message: str, code: str, status: int = 400, params: dict[str, Any] | None = None) -> None:
        super().__init__(message, code=code, status=status, params=params or {})
        self.extra["error_description"] = self.message


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()



@dataclass(frozen=True)
class Offer:
    offer: dict[str, Any]
    expires_at: datetime

    @property
    def deep_link(self) -> str:
        """``openid-credential-offer://?credential_offer=…`` (the offer by value): what the QR code holds."""
        text = json.dumps(self.offer, separators=(",", ":"))
        return "openid-credential-offer://?credential_offer=" + quote(text, safe="")


class WalletService:
    def __init__(self, db: Database, credentials: CredentialService, *, clock: Clock | None = None) -> None:
        self.db = db
        self.credentials = credentials
        self.clock = clock or credentials.clock

    @property
    def issuer(self) -> str:
        """The credential issuer identifier (and authorization server): this installation's base URL."""
        return self.credentials.settings.base_url.rstrip("/")

    # -- metadata -----------------------------------------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        """Credential issuer metadata (OpenID4VCI 1.0 §12.2)."""
        proof_types = {"jwt": {"proof_signing_alg_values_supported": list(ALGORITHMS)}}
        binding = ["did:key", "did:jwk"]

        def display(en: str, es: str) -> dict[str, Any]:
            return {"display": [{"name": en, "locale": "en"}, {"name": es, "locale": "es"}]}

        return {
            "credential_issuer": self.issuer,
            "credential_endpoint": f"{self.issuer}/oid4vci/credential",
            "nonce_endpoint": f"{self.issuer}/oid4vci/nonce",
            "display": [{"name": "LEADS", "locale": "en"}, {"name": "LEADS", "locale": "es"}],
            "credential_configurations_supported": {
                "OpenBadgeCredential_ldp_vc": {
                    "format": "ldp_vc",
                    "credential_definition": {"@context": [VC_V2, OB_V3], "type": OB_TYPES},
                    "cryptographic_binding_methods_supported": binding,
                    "credential_signing_alg_values_supported": ["eddsa-rdfc-2022"],
                    "proof_types_supported": proof_types,
                    "credential_metadata": display("Open Badge 3.0 certificate",
                                                   "Certificado Open Badge 3.0"),
                },
                "OpenBadgeCredential_jwt_vc_json": {
                    "format": "jwt_vc_json",
                    "credential_definition": {"type": OB_TYPES},
                    "cryptographic_binding_methods_supported": binding,
                    "credential_signing_alg_values_supported": ["Ed25519"],
                    "proof_types_supported": proof_types,
                    "credential_metadata": display("Open Badge 3.0 certificate (VC-JOSE)",
                                                   "Certificado Open Badge 3.0 (VC-JOSE)"),
                },
            },
        }

    def authorization_server_metadata(self) -> dict[str, Any]:
        """OAuth 2.0 authorization server metadata (RFC 8414) for the pre-authorized code grant only."""
        return {
            "issuer": self.issuer,
            "token_endpoint": f"{self.issuer}/oid4vci/token",
            "grant_types_supported": [PRE_AUTHORIZED],
            "response_types_supported": [],
            "token_endpoint_auth_methods_supported": ["none"],
            "pre-authorized_grant_anonymous_access_supported": True,
        }

    # -- offers -------------------------------------------------------------------------------------------------

    def create_offer(self, award_id: str, learner: str) -> Offer:
        """An offer of both credential configurations for an issued award of ``learner``."""
        now = self.clock()
        code = secrets.token_urlsafe(32)
        with self.db.session() as session:
            award = session.get(Award, award_id)
            if award is None or award.learner != learner:
                raise LeadsError("no award %(award_id)s of yours", code="not_found", status=404,
                                 params={"award_id": award_id})
            if award.state != "issued":
                raise LeadsError("only an issued certificate can go to a wallet", code="award_not_issued",
                                 status=409)
            session.execute(delete(WalletOffer).where(WalletOffer.expires_at < now - timedelta(days=1)))  # sweep
            session.execute(delete(WalletOffer).where(  # one open offer an award: a page view replaces, not adds
                WalletOffer.award_id == award_id, WalletOffer.learner == learner, WalletOffer.redeemed_at.is_(None)))
            session.add(WalletOffer(code_hash=_hash(code), award_id=award_id, learner=learner,
                                    configurations=list(CONFIGURATIONS), created_at=now,
                                    expires_at=now + OFFER_LIFETIME))
        offer = {"credential_issuer": self.issuer, "credential_configuration_ids": list(CONFIGURATIONS),
                 "grants": {PRE_AUTHORIZED: {"pre-authorized_code": code}}}
        return Offer(offer=offer, expires_at=now + OFFER_LIFETIME)

    # -- token endpoint -----------------------------------------------------------------------------------------

    def token(self, form: dict[str, str]) -> dict[str, Any]:
        """Redeem a pre-authorized code, once, before the offer expires (RFC 6749 §5, OpenID4VCI §6)."""
        grant = form.get("grant_type")
        if grant != PRE_AUTHORIZED:
            raise OAuthError("grant_type %(grant)s is not supported; use %(pre_authorized)s",
                             "unsupported_grant_type", params={"grant": repr(grant), "pre_authorized": PRE_AUTHORIZED})
        code = form.get("pre-authorized_code") or ""
        if not code:
            raise OAuthError("the pre-authorized_code is missing", "invalid_request")
        now = self.clock()
        token = secrets.token_urlsafe(32)
        with self.db.session() as session:
            offer = session.scalars(select(WalletOffer).where(WalletOffer.code_hash == _hash(code))).one_or_none()
            if offer is None:
                raise OAuthError("this pre-authorized code was not issued here, or a newer offer of the same "
                                 "certificate replaced it; open My certificates in your course for a new one",
                                 "invalid_grant")
            if offer.redeemed_at is not None:
                raise OAuthError("this credential offer was already used; open My certificates in your course for "
                                 "a new one", "invalid_grant")
            if aware(offer.expires_at) <= now:
                raise OAuthError("this credential offer has expired; open My certificates in your course for a "
                                 "new one", "invalid_grant")
            redeemed = session.execute(
                update(WalletOffer).where(WalletOffer.id == offer.id, WalletOffer.redeemed_at.is_(None))
                .values(redeemed_at=now, token_hash=_hash(token), token_expires_at=now + TOKEN_LIFETIME))
            if getattr(redeemed, "rowcount", 0) != 1:  # a concurrent request redeemed it first
                raise OAuthError("this credential offer was already used", "invalid_grant")
        return {"access_token": token, "token_type": "Bearer", "expires_in": int(TOKEN_LIFETIME.total_seconds())}

    # -- nonce endpoint -----------------------------------------------------------------------------------------

    def nonce(self) -> dict[str, Any]:
        value, _ = nonces.issue(self._secret(), nonces.KEY_PROOF, self.clock())  # nothing stored
        return {"c_nonce": value}

    def _secret(self) -> str:
        return self.credentials.settings.secret_key.get_secret_value()

    # -- credential endpoint ------------------------------------------------------------------------------------

    def _offer_for(self, authorization: str | None) -> WalletOffer:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise OAuthError("send the access token as 'Authorization: Bearer <token>'", "invalid_token", 401)
        with self.db.session() as session:
            offer = session.scalars(select(WalletOffer).where(
                WalletOffer.token_hash == _hash(authorization[7:].strip()))).one_or_none()
            if offer is None:
                raise OAuthError("the access token is not known here", "invalid_token", 401)
            if offer.token_expires_at is None or aware(offer.token_expires_at) <= self.clock():
                raise OAuthError("the access token has expired; redeem a new credential offer", "invalid_token", 401)
            session.expunge(offer)
            return offer

    @staticmethod
    def _proof_jwt(body: dict[str, Any]) -> str:
        proofs = body.get("proofs")
        if isinstance(proofs, dict):
            jwts = proofs.get("jwt")
            if set(proofs) != {"jwt"} or not isinstance(jwts, list) or len(jwts) != 1 or not isinstance(jwts[0], str):
                raise OAuthError("send exactly one key proof as proofs: {\"jwt\": [\"<proof JWT>\"]}",
                                 "invalid_proof")
            return jwts[0]
        raise OAuthError("the credential request has no key proof: send proofs: {\"jwt\": [\"<proof JWT>\"]} "
                         "signed with your wallet key over a nonce from the nonce endpoint", "invalid_proof")

    def credential(self, authorization: str | None, body: dict[str, Any]) -> dict[str, Any]:
        """Check token, configuration and key proof, spend the nonce, then issue the holder-bound credential."""
        offer = self._offer_for(authorization)
        configuration = body.get("credential_configuration_id")
        if not isinstance(configuration, str) or configuration not in CONFIGURATIONS:
            raise OAuthError("unknown credential_configuration_id %(configuration)s; this issuer offers "
                             "%(configurations)s", "unknown_credential_configuration",
                             params={"configuration": repr(configuration), "configurations": ", ".join(CONFIGURATIONS)})
        if configuration not in offer.configurations:
            raise OAuthError("%(configuration)s was not offered with this token", "invalid_credential_request",
                             params={"configuration": configuration})
        now = self.clock()
        try:
            proof = verify_key_proof(self._proof_jwt(body), audience=self.issuer, now=now)
        except IssuerError as exc:
            raise OAuthError(exc.message, "invalid_proof") from None
        with self.db.session() as session:
            try:
                nonces.spend(session, self._secret(), proof.nonce, nonces.KEY_PROOF, now, code="invalid_nonce",
                             what="nonce of the key proof (c_nonce)")
            except LeadsError as exc:
                raise OAuthError(exc.message, "invalid_nonce") from None
            bound = session.execute(update(WalletOffer).where(
                WalletOffer.id == offer.id,
                or_(WalletOffer.holder_hash.is_(None), WalletOffer.holder_hash == _hash(proof.holder.did)))
                .values(holder_hash=_hash(proof.holder.did)))
            if getattr(bound, "rowcount", 0) != 1:
                raise OAuthError("this access token already gave the certificate to another wallet key; open My "
                                 "certificates in your course for a new offer", "invalid_proof")
            award = session.get(Award, offer.award_id)
            if award is None or award.state != "issued":
                raise OAuthError("this certificate is no longer issued (it was revoked or is being issued "
                                 "again)", "credential_request_denied")
            session.expunge(award)
        row = self.credentials.issue(self._input(award, CONFIGURATIONS[str(configuration)], proof))
        with self.db.session() as session:  # revoked or re-issued while this one was signed: withdraw it at once
            current = session.get(Award, award.id)
            gone = current is None or current.state != "issued" or current.issue_key != award.issue_key
        if gone:
            self.credentials.revoke(row.id, "award revoked while it was sent to a wallet")
            raise OAuthError("this certificate was revoked or re-issued meanwhile", "credential_request_denied")
        document = row.document["jwt"] if row.format == "jwt" else row.document
        return {"credentials": [{"credential": document}]}

    @staticmethod
    def _input(award: Award, fmt: str, proof: KeyProof) -> IssueInput:
        did = proof.holder.did
        # one credential per award, format and holder DID: asking again with the same wallet gives the same one
        key = f"{award.issue_key}:{fmt}-{hashlib.sha256(did.encode()).hexdigest()[:20]}"
        return IssueInput(design_key=award.achievement, learner_name=award.learner_name or award.learner,
                          format=fmt, learner_id=did, learner_email=award.learner_email, award_id=key,
                          awarded=aware(award.created_at), course=award.context)


__all__ = ["CONFIGURATIONS", "PRE_AUTHORIZED", "OAuthError", "Offer", "WalletService"]
