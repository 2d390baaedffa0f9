"""An impostor's credential: signed by a freshly made did:key that calls itself "LEADS learning data space",
awarded to "Mallory Selfsigned". Genuine signature, unknown issuer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from issuer.did.key import did_key, did_key_verification_method
from issuer.keys.signer import Ed25519Signer
from issuer.proofs.dataintegrity import sign
from tests.issuer.samples import ob3_credential

CREATED = datetime(2026, 1, 1, tzinfo=UTC)


class SelfSigned:
    def __init__(self, name: str = "LEADS learning data space") -> None:
        self.signer = Ed25519Signer.generate()
        self.did = did_key(self.signer.public_key_multibase)
        self.vm = did_key_verification_method(self.signer.public_key_multibase)
        self.name = name

    def credential(self, learner: str = "Mallory Selfsigned", holder: str | None = None) -> dict[str, Any]:
        doc = ob3_credential(self.did, name=learner)
        if holder:
            doc["credentialSubject"]["id"] = holder
        doc["issuer"]["name"] = self.name
        doc["credentialSubject"]["achievement"]["alignment"] = [
            {"type": ["Alignment"], "targetName": "copyright", "targetUrl": "https://www.wikidata.org/wiki/Q12978"}]
        return sign(doc, self.signer, self.vm, created=CREATED)
