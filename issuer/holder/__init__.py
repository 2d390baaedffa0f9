"""Holder binding: the holder's DID and key (did:key, did:jwk), OpenID4VCI key proofs and Verifiable Presentations.

Pure checks with an injected clock; whether a nonce or challenge is fresh and unused is the caller's business (the
bridge keeps them in its database).
"""

from issuer.holder.keyproof import PROOF_TYP, KeyProof, verify_key_proof
from issuer.holder.keys import HolderKey, did_jwk, holder_key, same_key
from issuer.holder.presentation import Presentation, subject_did, verify_presentation

__all__ = ["PROOF_TYP", "HolderKey", "KeyProof", "Presentation", "did_jwk", "holder_key", "same_key",
           "subject_did", "verify_key_proof", "verify_presentation"]
