"""Data Integrity ``eddsa-rdfc-2022`` (W3C vc-di-eddsa): sign and verify embedded proofs.

Signing hashes the RDFC-1.0 canonical form of the proof configuration and of the document (SHA-256 each, proof hash
first) and signs the 64 bytes with Ed25519; ``proofValue`` is ``z`` + base58btc(signature). A document whose
contexts do not define a term is refused before signing (``UndefinedTerm``), and so is a term that only the VC 2.0
``issuer-dependent`` fallback vocabulary catches: that is almost always a misspelt property.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from issuer.canon import Canonicaliser, get_canonicaliser
from issuer.errors import IssuerError, UndefinedTerm
from issuer.jsonld.loader import ContextLoader
from issuer.keys.multikey import b58encode, multibase_decode
from issuer.keys.signer import Signer, verify_ed25519
from issuer.proofs.renamed import renamed, restructured

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
ISSUER_DEPENDENT = "<https://www.w3.org/ns/credentials/issuer-dependent#"
CREATED_SKEW = timedelta(minutes=5)  # a signer's clock a little ahead is no reason to refuse its proof


def xsd_datetime(value: datetime | str) -> str:
    """``2024-05-01T10:00:00Z`` (UTC, seconds) from a datetime; strings pass through."""
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        raise IssuerError("created must be a timezone-aware datetime", code="naive_datetime")
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _contexts(document: dict[str, Any]) -> list[Any]:
    ctx = document.get("@context")
    if ctx is None:
        raise IssuerError("The document has no @context; a credential needs one", code="no_context", status=422)
    return list(ctx) if isinstance(ctx, list) else [ctx]


def with_data_integrity_context(document: dict[str, Any]) -> dict[str, Any]:
    """Add the Data Integrity context when the document's contexts do not define DataIntegrityProof (VC 1.1)."""
    contexts = _contexts(document)
    if CREDENTIALS_V2 in contexts or DATA_INTEGRITY_V2 in contexts:
        return document
    return {**document, "@context": [*contexts, DATA_INTEGRITY_V2]}


def _hash_data(
    document: dict[str, Any], proof_config: dict[str, Any], canon: Canonicaliser, *, strict: bool
) -> bytes:
    return _hashed(canon.canonicalize(document), proof_config, canon, strict=strict)


def _hashed(doc_canon: str, proof_config: dict[str, Any], canon: Canonicaliser, *, strict: bool) -> bytes:
    if strict and ISSUER_DEPENDENT in doc_canon:
        term = doc_canon.split(ISSUER_DEPENDENT, 1)[1].split(">", 1)[0]
        raise UndefinedTerm(
            f"The term {term!r} is not defined by the document's contexts (VC 2.0 would file it under its "
            "'issuer-dependent' vocabulary). Fix its spelling or use a term the contexts define.",
            details={"term": term},
        )
    proof_canon = canon.canonicalize(proof_config)
    return hashlib.sha256(proof_canon.encode("utf-8")).digest() + hashlib.sha256(doc_canon.encode("utf-8")).digest()


def sign(
    document: dict[str, Any],
    signer: Signer,
    verification_method: str,
    *,
    created: datetime | str,
    proof_purpose: str = "assertionMethod",
    canonicaliser: Canonicaliser | None = None,
    loader: ContextLoader | None = None,
    strict: bool = True,
    share_nested: bool = False,
    challenge: str | None = None,
    domain: str | None = None,
) -> dict[str, Any]:
    """Return a copy of ``document`` with an eddsa-rdfc-2022 DataIntegrityProof added.

    ``share_nested=True`` skips the deep copy (the result shares nested objects with ``document``): for callers that
    built ``document`` only to sign it, e.g. batch issuance, where the copy was about 7 % of the time.
    ``challenge`` and ``domain`` go into the proof of a presentation (``proof_purpose="authentication"``).
    """
    if signer.algorithm != "Ed25519":
        raise IssuerError(f"eddsa-rdfc-2022 needs an Ed25519 signer, not {signer.algorithm}", code="wrong_key")
    canon = canonicaliser or get_canonicaliser(loader=loader)
    unsecured = with_data_integrity_context({k: v for k, v in document.items() if k != "proof"})
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": xsd_datetime(created),
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    if challenge is not None:
        proof["challenge"] = challenge
    if domain is not None:
        proof["domain"] = domain
    config = {**proof, "@context": unsecured["@context"]}
    proof["proofValue"] = "z" + b58encode(signer.sign(_hash_data(unsecured, config, canon, strict=strict)))
    existing = document.get("proof")
    signed = unsecured if share_nested else copy.deepcopy(unsecured)  # ``unsecured`` is a new top-level dict
    if existing is None:
        signed["proof"] = proof
    else:
        signed["proof"] = [*(existing if isinstance(existing, list) else [existing]), proof]
    return signed


def parse_time(value: Any) -> datetime | None:
    """An xsd:dateTime as a timezone-aware datetime (UTC when it names no zone); None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def time_problem(proof: dict[str, Any], now: datetime) -> str | None:
    """What the proof's own dates say against it (Data Integrity §2.1): past its ``expires``, or ``created`` still
    to come; either one that is not a date and time."""
    for name in ("expires", "created"):
        if name not in proof:
            continue
        moment = parse_time(proof[name])
        if moment is None:
            return f"the proof's {name} {proof[name]!r} is not a date and time (xsd:dateTimeStamp)"
        if name == "expires" and moment <= now:
            return f"the proof expired on {proof[name]} (its expires)"
        if name == "created" and moment > now + CREATED_SKEW:
            return f"the proof says it was created on {proof[name]}, which is still to come"
    return None


@dataclass(frozen=True)
class ProofResult:
    ok: bool
    message: str
    verification_method: str = ""
    proof_purpose: str = ""
    created: str = ""


def proofs_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    proof = document.get("proof")
    if proof is None:
        return []
    items = proof if isinstance(proof, list) else [proof]
    return [p for p in items if isinstance(p, dict)]


def verify(
    document: dict[str, Any],
    public_key_multibase: str,
    *,
    proof: dict[str, Any] | None = None,
    canonicaliser: Canonicaliser | None = None,
    loader: ContextLoader | None = None,
    now: datetime | None = None,
) -> ProofResult:
    """Check one eddsa-rdfc-2022 proof (the only one, or ``proof``) against a public key; never raises for bad input.
    With ``now``, the proof's own ``expires`` and ``created`` are checked too."""
    proofs = proofs_of(document)
    if proof is None:
        if len(proofs) != 1:
            return ProofResult(False, f"expected one proof, found {len(proofs)}")
        proof = proofs[0]
    vm = str(proof.get("verificationMethod", ""))
    purpose = str(proof.get("proofPurpose", ""))
    created = str(proof.get("created", ""))

    def result(ok: bool, message: str) -> ProofResult:
        return ProofResult(ok, message, vm, purpose, created)

    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        return result(False, f"unsupported proof {proof.get('type')}/{proof.get('cryptosuite')}; "
                             f"this verifier checks {PROOF_TYPE}/{CRYPTOSUITE}")
    value = proof.get("proofValue")
    if not isinstance(value, str):
        return result(False, "the proof has no proofValue")
    try:
        signature = multibase_decode(value)
    except IssuerError as exc:
        return result(False, f"proofValue is not base58btc multibase: {exc.message}")
    if len(signature) != 64:
        return result(False, f"proofValue decodes to {len(signature)} bytes; an Ed25519 signature has 64")
    late = time_problem(proof, now) if now is not None else None
    if late:
        return result(False, late)
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    try:
        doc_contexts = _contexts(unsecured)
    except IssuerError as exc:
        return result(False, exc.message)
    if "@context" in options:
        proof_contexts = options["@context"] if isinstance(options["@context"], list) else [options["@context"]]
        if doc_contexts[: len(proof_contexts)] != proof_contexts:
            return result(False, "the proof's @context does not match the start of the document's @context")
    moved = restructured(unsecured)
    if moved:
        words = [m if m != "id" else "a nested object with the credential's own id" for m in moved]
        return result(False, "the credential uses " + ", ".join(words) + " to write its own statements outside its "
                             "top-level object: a verifier reading its status and dates there would miss them, so "
                             "the proof is not accepted")
    config = {**options, "@context": unsecured["@context"]}
    canon = canonicaliser or get_canonicaliser(loader=loader)
    try:
        doc_canon = canon.canonicalize(unsecured)
        data = _hashed(doc_canon, config, canon, strict=False)
    except IssuerError as exc:
        return result(False, f"the credential cannot be canonicalised: {exc.message}")
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError) as exc:
        # JSON-LD processors (pyld, pyoxigraph) fail on some inputs with their own exceptions (a lone surrogate, a
        # 4,000-digit number, ``"@vocab": null``): whoever sent it gets a failed check, never a server error
        return result(False, f"the credential cannot be canonicalised: {type(exc).__name__}")
    hidden = renamed(unsecured, doc_canon)
    if hidden:
        return result(False, "the credential gives " + ", ".join(hidden) + " under another name than the standard "
                             "one (an added @context term or a full IRI as the key): a verifier reading it by name "
                             "would miss what was signed, so the proof is not accepted")
    try:
        valid = verify_ed25519(public_key_multibase, signature, data)
    except IssuerError as exc:
        return result(False, f"unusable public key: {exc.message}")
    if not valid:
        return result(False, "the signature does not match the credential: it was changed after signing, "
                             "or signed with another key")
    return result(True, f"eddsa-rdfc-2022 signature by {vm} is valid")


__all__ = ["ProofResult", "proofs_of", "sign", "verify", "with_data_integrity_context", "xsd_datetime"]
