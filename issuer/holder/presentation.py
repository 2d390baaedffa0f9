"""A holder's Verifiable Presentation over a verifier's challenge and domain: Data Integrity (eddsa-rdfc-2022,
``proofPurpose: authentication``) or a VP-JWT (``nonce`` = challenge, ``aud`` = domain, the VP in ``vp`` or as the
payload). The signer must be a did:key or did:jwk; the credentials inside are returned unverified: verifying them,
and matching their ``credentialSubject.id`` to the holder, is the caller's next step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from issuer.errors import DidResolutionFailed, KeyError_, ProofInvalid
from issuer.holder.jwt import verify_holder_jws
from issuer.holder.keys import HolderKey, holder_key
from issuer.proofs import dataintegrity
from issuer.proofs.jose import peek

SKEW = timedelta(seconds=60)
ENVELOPED_JWT = "data:application/vc+jwt,"


@dataclass(frozen=True)
class Presentation:
    holder: HolderKey
    credentials: tuple[dict[str, Any] | str, ...]
    form: Literal["data-integrity", "jwt"]


def _refuse(message: str) -> ProofInvalid:
    return ProofInvalid(message, code="presentation_invalid", status=422)


def _credentials(vp: dict[str, Any]) -> tuple[dict[str, Any] | str, ...]:
    raw = vp.get("verifiableCredential")
    items = raw if isinstance(raw, list) else [] if raw is None else [raw]
    out: list[dict[str, Any] | str] = []
    for item in items:
        if isinstance(item, str):
            out.append(item.removeprefix(ENVELOPED_JWT))
        elif isinstance(item, dict) and str(item.get("id", "")).startswith(ENVELOPED_JWT):
            out.append(str(item["id"])[len(ENVELOPED_JWT):])  # an EnvelopedVerifiableCredential (VC-JOSE)
        elif isinstance(item, dict):
            out.append(item)
    if not out:
        raise _refuse("the presentation carries no credential; put the credential in 'verifiableCredential'")
    return tuple(out)


def _types(vp: dict[str, Any]) -> list[str]:
    kind = vp.get("type")
    return [str(t) for t in (kind if isinstance(kind, list) else [kind])]


def _key(vm: str) -> HolderKey:
    try:
        return holder_key(vm)
    except DidResolutionFailed as exc:
        raise _refuse(f"the presentation's key {vm!r} cannot be used: {exc.message}") from None


def _check_holder(vp: dict[str, Any], key: HolderKey) -> None:
    holder = vp.get("holder")
    holder_id = holder.get("id") if isinstance(holder, dict) else holder
    if holder_id is not None and str(holder_id).split("#", 1)[0] != key.did:
        raise _refuse(f"the presentation names holder {holder_id} but is signed by {key.did}")


def _data_integrity(vp: dict[str, Any], challenge: str, domain: str) -> Presentation:
    if "VerifiablePresentation" not in _types(vp):
        raise _refuse("this is not a presentation: its type must include 'VerifiablePresentation'")
    proofs = dataintegrity.proofs_of(vp)
    if len(proofs) != 1:
        raise _refuse(f"the presentation must carry one proof by its holder; it has {len(proofs)}")
    proof = proofs[0]
    if proof.get("proofPurpose") != "authentication":
        raise _refuse(f"the presentation's proofPurpose is {proof.get('proofPurpose')!r}, not 'authentication'")
    if proof.get("challenge") != challenge:
        raise _refuse("the presentation was made for another challenge; ask this site for a fresh challenge and "
                      "sign the presentation over it")
    domains = proof.get("domain")
    if domain not in (domains if isinstance(domains, list) else [domains]):
        raise _refuse(f"the presentation was made for the domain {domains!r}, not for {domain!r}")
    key = _key(str(proof.get("verificationMethod", "")))
    try:
        multibase = key.ed25519_multibase
    except KeyError_ as exc:
        raise _refuse(exc.message) from None
    result = dataintegrity.verify(vp, multibase, proof=proof)
    if not result.ok:
        raise _refuse(f"the presentation's signature does not verify: {result.message}")
    _check_holder(vp, key)
    return Presentation(holder=key, credentials=_credentials(vp), form="data-integrity")


def _jwt(token: str, challenge: str, domain: str, now: datetime) -> Presentation:
    try:
        parts = peek(token)
    except ProofInvalid as exc:
        raise _refuse(f"the presentation is neither JSON nor a JWT: {exc.message}") from None
    header, payload = parts.header, parts.payload
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise _refuse("the VP-JWT header has no 'kid' naming the holder's key (a did:key or did:jwk URL)")
    key = _key(kid)
    try:
        verify_holder_jws(token, key.jwk)
    except ProofInvalid as exc:
        raise _refuse(f"the VP-JWT is not signed by {key.kid}: {exc.message}") from None
    if payload.get("nonce") != challenge:
        raise _refuse("the presentation was made for another challenge ('nonce'); ask this site for a fresh "
                      "challenge and sign the presentation over it")
    aud = payload.get("aud")
    if domain not in (aud if isinstance(aud, list) else [aud]):
        raise _refuse(f"the presentation was made for the audience {aud!r}, not for {domain!r}")
    iss = payload.get("iss")
    if iss is not None and str(iss).split("#", 1)[0] != key.did:
        raise _refuse(f"the VP-JWT's iss {iss} is not its signer {key.did}")
    for claim, late in (("exp", True), ("nbf", False)):
        value = payload.get(claim)
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                moment = datetime.fromtimestamp(value, UTC)
            except (OverflowError, OSError, ValueError):  # 1e20, NaN: no moment of any calendar
                raise _refuse(f"the presentation's {claim} {value!r} is not a date (seconds since 1970)") from None
            if (late and moment < now - SKEW) or (not late and moment > now + SKEW):
                raise _refuse(f"the presentation is {'expired' if late else 'not valid yet'} ({claim} "
                              f"{moment.isoformat()})")
    inner = payload.get("vp")
    vp: dict[str, Any] = inner if isinstance(inner, dict) else payload
    if "VerifiablePresentation" not in _types(vp):
        raise _refuse("the JWT holds no presentation: put it in the 'vp' claim, typed 'VerifiablePresentation'")
    _check_holder(vp, key)
    return Presentation(holder=key, credentials=_credentials(vp), form="jwt")


def verify_presentation(presentation: dict[str, Any] | str, *, challenge: str, domain: str,
                        now: datetime) -> Presentation:
    """The holder and the credentials of a presentation signed over ``challenge`` and ``domain``."""
    if isinstance(presentation, dict):
        return _data_integrity(presentation, challenge, domain)
    return _jwt(presentation, challenge, domain, now)


def subject_did(credential: dict[str, Any]) -> str | None:
    """The DID of the credential's (single) subject, or None when it names no DID."""
    subject = credential.get("credentialSubject")
    subjects = subject if isinstance(subject, list) else [subject]
    ids = {str(s.get("id")).split("#", 1)[0] for s in subjects if isinstance(s, dict) and s.get("id")}
    if len(ids) != 1:
        return None
    only = next(iter(ids))
    return only if only.startswith("did:") else None
