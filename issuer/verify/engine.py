"""Verify a credential (Data Integrity JSON or a VC-JOSE JWT) and say, check by check, what holds.

Checks, in order: ``proof`` (the signature), ``proof_purpose`` (assertionMethod, and the key is authorised for it in
the issuer's DID document), ``issuer`` (the signing key belongs to the credential's issuer DID, which resolves),
``validity`` (validFrom/validUntil, VC 1.1 issuanceDate/expirationDate), ``status`` (through an injected status
checker) and ``shape`` (through an injected shape checker). Status and shape checking live elsewhere (issuer/status,
issuer/shacl) and are passed in, so this module stays free of storage and of SHACL. When the signature fails, the
other checks are "not run": nothing a forged document says about its dates or status is worth reporting.

Who issued it is a separate question, answered by an injected ``trust`` callable (the registry lives in the app):
the report carries its answer, and "verified" needs a genuine credential from a trusted issuer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from issuer import jsonbound
from issuer.canon import Canonicaliser
from issuer.did.resolver import DidResolver, authorised_for
from issuer.errors import IssuerError
from issuer.jsonld.loader import ContextLoader
from issuer.proofs import dataintegrity, jose
from issuer.proofs.dataintegrity import parse_time as parse_time  # re-exported: the verifier's date reading
from issuer.verify.report import Check, IssuerTrust, VerificationReport

CheckResult = tuple[bool, str]


class StatusOutcome(Protocol):
    """One status entry's outcome (issuer.status.StatusResult fits): ``valid`` False means revoked/suspended."""

    @property
    def valid(self) -> bool: ...

    @property
    def message(self) -> str: ...


@runtime_checkable
class StatusChecker(Protocol):
    """Checks every ``credentialStatus`` entry of a credential (issuer.status.BitstringStatusChecker fits).

    Raises IssuerError when a status list cannot be fetched or verified.
    """

    def check(self, credential: dict[str, Any]) -> Sequence[StatusOutcome]: ...


@runtime_checkable
class ShapeChecker(Protocol):
    """Checks the credential against its shapes or schema: returns (ok, message), or None when it conforms and
    raises IssuerError naming the violation otherwise (issuer.shacl.check_edc fits as a plain callable)."""

    def check(self, credential: dict[str, Any]) -> CheckResult | None: ...


StatusLike = StatusChecker | Callable[[dict[str, Any]], Sequence[StatusOutcome] | CheckResult]
ShapeLike = ShapeChecker | Callable[[dict[str, Any]], CheckResult | None]
TrustLike = Callable[[dict[str, Any]], IssuerTrust]  # who issued it: this installation, a registry, or unknown

SUPPORTED_KEY_TYPES = ("Multikey", "Ed25519VerificationKey2020")


def _issuer_id(credential: dict[str, Any]) -> str:
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else ""


def _public_key(method: dict[str, Any]) -> str:
    if method.get("type") not in SUPPORTED_KEY_TYPES or not isinstance(method.get("publicKeyMultibase"), str):
        raise IssuerError(
            f"verification method {method.get('id')} is a {method.get('type')}; "
            f"expected {' or '.join(SUPPORTED_KEY_TYPES)} with publicKeyMultibase",
            code="unsupported_key",
        )
    return str(method["publicKeyMultibase"])


VC_CONTEXTS = ("https://www.w3.org/ns/credentials/v2", "https://www.w3.org/2018/credentials/v1")


def check_format(credential: dict[str, Any]) -> Check:
    """The envelope every verifiable credential has: the VC context first, the type, an issuer and a subject."""
    contexts = credential.get("@context")
    first = contexts[0] if isinstance(contexts, list) and contexts else contexts
    types = credential.get("type")
    types = [types] if isinstance(types, str) else types if isinstance(types, list) else []
    problems = []
    if first not in VC_CONTEXTS:
        problems.append(f"the first @context must be {VC_CONTEXTS[0]} (VC 2.0) or {VC_CONTEXTS[1]} (VC 1.1)")
    if "VerifiableCredential" not in types:
        problems.append("type must include VerifiableCredential")
    if not _issuer_id(credential):
        problems.append("issuer (a URL or an object with an id) is missing")
    if "credentialSubject" not in credential:
        problems.append("credentialSubject is missing")
    if problems:
        return Check.failed("format", "; ".join(problems))
    version = "2.0" if first == VC_CONTEXTS[0] else "1.1"
    return Check.passed("format", f"a W3C Verifiable Credential (data model {version})")


def _add_format_problem(report: VerificationReport, credential: dict[str, Any]) -> None:
    """A ``format`` check is listed only when the envelope is wrong, so valid reports keep their six checks."""
    check = check_format(credential)
    if not check.ok:
        report.checks.append(check)


def check_validity(credential: dict[str, Any], now: datetime) -> Check:
    starts = [("validFrom", credential.get("validFrom")), ("issuanceDate", credential.get("issuanceDate"))]
    ends = [("validUntil", credential.get("validUntil")), ("expirationDate", credential.get("expirationDate"))]
    for name, raw in starts + ends:
        if raw is not None and parse_time(raw) is None:
            return Check.failed("validity", f"{name} {raw!r} is not a date-time (e.g. 2025-01-31T00:00:00Z)")
    for name, raw in starts:
        start = parse_time(raw)
        if start is not None and now < start:
            return Check.failed("validity", f"not valid yet: {name} is {raw}", "not_yet_valid")
    for name, raw in ends:
        end = parse_time(raw)
        if end is not None and now >= end:
            return Check.failed("validity", f"expired: {name} was {raw}", "expired")
    if not any(raw for _, raw in starts + ends):
        return Check.passed("validity", "no validity period is stated")
    return Check.passed("validity", f"valid on {now.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}")


def _call(checker: Any, *args: Any) -> CheckResult:
    fn = checker.check if hasattr(checker, "check") else checker
    outcome = fn(*args)
    if outcome is None:  # checkers that raise IssuerError on failure and return nothing otherwise
        return True, "conforms"
    if isinstance(outcome, bool):
        return outcome, "ok" if outcome else "failed"
    ok, message = outcome
    return bool(ok), str(message)


def check_status(credential: dict[str, Any], checker: StatusLike | None, *, require: bool) -> Check:
    raw = credential.get("credentialStatus")
    if raw is None:
        return Check.skipped("status", "the credential has no credentialStatus (it cannot be revoked)")
    if checker is None:
        message = "the credential has a credentialStatus, but no status checker is configured"
        return Check.failed("status", message) if require else Check.skipped("status", message)
    fn = checker.check if hasattr(checker, "check") else checker
    try:
        outcome = fn(credential)
    except IssuerError as exc:  # unreachable or unreadable list: unknown, never "revoked"
        return Check.unknown("status", f"status could not be checked: {exc.message}")
    if isinstance(outcome, tuple):
        ok, message = outcome
        return Check.passed("status", str(message)) if ok else Check.failed("status", str(message))
    results = list(outcome)
    if not results:
        message = "no credentialStatus entry is of a type this verifier can check"
        return Check.failed("status", message) if require else Check.skipped("status", message)
    bad = [r for r in results if not r.valid]
    if bad:
        purposes = {getattr(r, "purpose", "") for r in bad}
        reason = "revoked" if "revocation" in purposes or "suspension" not in purposes else "suspended"
        return Check.failed("status", "; ".join(r.message for r in bad), reason)
    return Check.passed("status", "; ".join(r.message for r in results))


def check_shape(credential: dict[str, Any], checker: ShapeLike | None) -> Check:
    if checker is None:
        return Check.skipped("shape", "no shape checker configured")
    try:
        ok, message = _call(checker, credential)
    except IssuerError as exc:
        return Check.failed("shape", exc.message)
    return Check.passed("shape", message) if ok else Check.failed("shape", message)


def _key_checks(
    report: VerificationReport, resolver: DidResolver, credential: dict[str, Any], vm_id: str, purpose: str
) -> str | None:
    """Resolve the key; add the proof_purpose and issuer checks. Returns the public key, or None (proof fails)."""
    issuer = _issuer_id(credential)
    try:
        method, did_doc = resolver.verification_method(vm_id)
        public_key = _public_key(method)
    except IssuerError as exc:
        report.checks.append(Check.failed("proof_purpose", f"cannot check: {exc.message}"))
        report.checks.append(Check.failed("issuer", f"the signing key {vm_id} cannot be resolved: {exc.message}"))
        return None
    if purpose != "assertionMethod":
        report.checks.append(Check.failed("proof_purpose", f"proofPurpose is {purpose!r}, not 'assertionMethod'"))
    elif not authorised_for(did_doc, vm_id, "assertionMethod"):
        report.checks.append(Check.failed(
            "proof_purpose", f"{vm_id} is not listed under assertionMethod in {did_doc.get('id')}'s DID document"))
    else:
        report.checks.append(Check.passed("proof_purpose", f"assertionMethod, authorised in {did_doc.get('id')}"))
    if not issuer:
        report.checks.append(Check.failed("issuer", "the credential names no issuer"))
    elif issuer != did_doc.get("id") or method.get("controller", issuer) != issuer:
        report.checks.append(Check.failed(
            "issuer", f"the signing key {vm_id} belongs to {did_doc.get('id')}, not to the issuer {issuer}"))
    else:
        report.checks.append(Check.passed("issuer", f"issuer {issuer} resolved; it controls the signing key"))
    return public_key


def verify_credential(
    doc_or_jwt: dict[str, Any] | str | bytes,
    *,
    resolver: DidResolver,
    now: datetime,
    status_checker: StatusLike | None = None,
    shape_checker: ShapeLike | None = None,
    canonicaliser: Canonicaliser | None = None,
    loader: ContextLoader | None = None,
    require_status: bool = True,
    trust: TrustLike | None = None,
) -> VerificationReport:
    """Verify and report every check; a tampered credential fails the ``proof`` check (and says so).

    With ``trust``, the report also says who issued it, and ``report.ok`` needs a trusted issuer too."""
    if isinstance(doc_or_jwt, bytes):
        doc_or_jwt = doc_or_jwt.decode("utf-8", errors="replace")
    if isinstance(doc_or_jwt, str):
        text = doc_or_jwt.strip()
        if text.startswith("{"):
            try:
                doc_or_jwt = jsonbound.loads(text)  # JsonTooDeep (400) propagates: not a credential at all
            except ValueError as exc:
                report = VerificationReport("unknown")
                report.checks.append(Check.failed("format", f"not valid JSON: {exc}"))
                return report
        else:
            report = _verify_jwt(text, resolver, now, status_checker, shape_checker, require_status)
            return _with_trust(report, trust)
    if not isinstance(doc_or_jwt, dict):
        report = VerificationReport("unknown")
        report.checks.append(Check.failed("format", "a credential must be a JSON object or a JWT"))
        return report
    report = _verify_data_integrity(
        doc_or_jwt, resolver, now, status_checker, shape_checker, canonicaliser, loader, require_status
    )
    return _with_trust(report, trust)


def _with_trust(report: VerificationReport, trust: TrustLike | None) -> VerificationReport:
    """Who issued it — asked only when the signature holds and the key is the named issuer's: a forged document
    may name any issuer, and naming it back would lend the forgery that issuer's standing."""
    proof, issuer = report.check("proof"), report.check("issuer")
    signed_by_issuer = proof is not None and proof.ok and issuer is not None and issuer.ok
    if trust is not None and report.credential is not None and signed_by_issuer:
        report.trust = trust(report.credential)
    return report


def _finish(
    report: VerificationReport,
    credential: dict[str, Any],
    now: datetime,
    status_checker: StatusLike | None,
    shape_checker: ShapeLike | None,
    require_status: bool,
    key_checks: list[Check],
) -> VerificationReport:
    """After the ``proof`` check: the rest, or — when the signature failed — each of them marked "not run"."""
    proof = report.check("proof")
    if proof is None or proof.ok:
        report.checks.extend(key_checks)
        report.checks.append(check_validity(credential, now))
        report.checks.append(check_status(credential, status_checker, require=require_status))
        report.checks.append(check_shape(credential, shape_checker))
        return report
    for name in ("proof_purpose", "issuer", "validity", "status", "shape"):
        report.checks.append(Check.not_run(name))
    return report


def _key_failure(key_checks: list[Check]) -> str:
    """Why the key could not be had (the issuer check's message), to keep in the proof check that failed."""
    found = next((c for c in key_checks if c.name == "issuer" and not c.ok), None)
    return f": {found.message}" if found is not None else ""


def _primary(proofs: list[dict[str, Any]], issuer: str) -> dict[str, Any]:
    """The proof the key checks are about: the issuer's own (its key's id starts with the issuer DID), else the
    first. Whoever signed the others, each must verify too."""
    own = [p for p in proofs if issuer and str(p.get("verificationMethod", "")).startswith(issuer + "#")]
    return (own or proofs)[0]


def _other_proof_key(resolver: DidResolver, proof: dict[str, Any], vm_id: str, primary_vm: str,
                     primary_key: str) -> str:
    """The public key of a proof in the set other than the primary one, once its purpose is ``assertionMethod``
    and its key is authorised for it (Data Integrity checks every proof against the expected purpose); raises
    IssuerError naming what is wrong."""
    purpose = proof.get("proofPurpose")
    if purpose != "assertionMethod":
        raise IssuerError(f"proofPurpose is {purpose!r}, not 'assertionMethod'", code="proof_purpose")
    if vm_id == primary_vm:
        return primary_key
    method, did_doc = resolver.verification_method(vm_id)
    if not authorised_for(did_doc, vm_id, "assertionMethod"):
        raise IssuerError(f"{vm_id} is not listed under assertionMethod in {did_doc.get('id')}'s DID document",
                          code="proof_purpose")
    return _public_key(method)


def _in_set(number: int, total: int, vm_id: str, message: str) -> str:
    """A proof's failure, naming which proof of the set it is (a lone proof's message stays as it was)."""
    return message if total == 1 else f"proof {number} of {total} ({vm_id or 'no verificationMethod'}): {message}"


def _verify_data_integrity(
    credential: dict[str, Any],
    resolver: DidResolver,
    now: datetime,
    status_checker: StatusLike | None,
    shape_checker: ShapeLike | None,
    canonicaliser: Canonicaliser | None,
    loader: ContextLoader | None,
    require_status: bool,
) -> VerificationReport:
    report = VerificationReport("data-integrity", credential=credential)
    _add_format_problem(report, credential)
    proofs = dataintegrity.proofs_of(credential)
    if not proofs:
        report.checks.append(Check.failed("proof", "the credential has no proof (it is not signed)"))
        return _finish(report, credential, now, status_checker, shape_checker, require_status, [])
    proof = _primary(proofs, _issuer_id(credential))
    vm_id = str(proof.get("verificationMethod", ""))
    purpose = str(proof.get("proofPurpose", ""))
    key_checks = VerificationReport("data-integrity")
    public_key = _key_checks(key_checks, resolver, credential, vm_id, purpose)
    if public_key is None:
        report.checks.append(Check.failed(
            "proof", f"the key {vm_id} could not be obtained{_key_failure(key_checks.checks)}"))
    else:
        failures = []
        for number, each in enumerate(proofs, 1):  # a proof set holds only when every proof in it does
            each_vm = str(each.get("verificationMethod", ""))
            try:
                key = public_key if each is proof else _other_proof_key(resolver, each, each_vm, vm_id, public_key)
            except IssuerError as exc:
                failures.append(_in_set(number, len(proofs), each_vm, exc.message))
                continue
            result = dataintegrity.verify(credential, key, proof=each, canonicaliser=canonicaliser, loader=loader,
                                          now=now)
            if not result.ok:
                failures.append(_in_set(number, len(proofs), each_vm, result.message))
        if failures:
            report.checks.append(Check.failed("proof", "; ".join(failures)))
        elif len(proofs) == 1:
            report.checks.append(Check.passed("proof", f"eddsa-rdfc-2022 signature by {vm_id} is valid"))
        else:
            signers = ", ".join(dict.fromkeys(str(p.get("verificationMethod", "")) for p in proofs))
            report.checks.append(Check.passed(
                "proof", f"all {len(proofs)} eddsa-rdfc-2022 signatures of the proof set are valid ({signers})"))
    return _finish(report, credential, now, status_checker, shape_checker, require_status, key_checks.checks)


def _verify_jwt(
    token: str,
    resolver: DidResolver,
    now: datetime,
    status_checker: StatusLike | None,
    shape_checker: ShapeLike | None,
    require_status: bool,
) -> VerificationReport:
    report = VerificationReport("vc-jose")
    try:
        parts = jose.peek(token)
    except IssuerError as exc:
        report.checks.append(Check.failed("format", exc.message))
        return report
    credential = parts.payload
    report.credential = credential
    _add_format_problem(report, credential)
    vm_id = str(parts.header.get("kid", ""))
    key_checks = VerificationReport("vc-jose")
    public_key = _key_checks(key_checks, resolver, credential, vm_id, "assertionMethod") if vm_id else None
    if not vm_id:
        report.checks.append(Check.failed("proof", "the JWT header has no kid naming the signing key"))
    elif public_key is None:
        report.checks.append(Check.failed(
            "proof", f"the key {vm_id} could not be obtained{_key_failure(key_checks.checks)}"))
    else:
        try:
            jose.verify_jwt(token, public_key)
            report.checks.append(Check.passed("proof", f"{parts.header.get('alg')} JWS signature by {vm_id} is valid"))
        except IssuerError as exc:
            report.checks.append(Check.failed("proof", exc.message))
    _with_jwt_issuer(key_checks.checks, credential)
    return _with_jwt_times(
        _finish(report, credential, now, status_checker, shape_checker, require_status, key_checks.checks),
        credential, now)


def _with_jwt_issuer(key_checks: list[Check], payload: dict[str, Any]) -> None:
    """``iss``, when the JWT has one, must be the credential's issuer: the issuer check fails otherwise."""
    problem = jose.issuer_claim_problem(payload, _issuer_id(payload))
    for i, check in enumerate(key_checks):
        if check.name == "issuer" and check.ok and problem is not None:
            key_checks[i] = Check.failed("issuer", problem)


def _with_jwt_times(report: VerificationReport, payload: dict[str, Any], now: datetime) -> VerificationReport:
    """The JWT's ``exp`` and ``nbf`` bound the validity too: a validity check that passed on the credential's own
    dates fails when they say it has expired or is not valid yet (one that already failed keeps its reason)."""
    problem = jose.time_claims_problem(payload, now)
    for i, check in enumerate(report.checks):
        if check.name == "validity" and check.outcome == "passed" and problem is not None:
            reason, message = problem
            report.checks[i] = Check.failed("validity", message, reason)
    return report
