"""A test holder: a did:key and presentations of credentials over a challenge the app issued (Data Integrity, or
VP-JWT)."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from issuer.did.key import did_key, did_key_verification_method
from issuer.documents.ob3 import VC_V2
from issuer.keys.signer import Ed25519Signer
from issuer.proofs.dataintegrity import sign


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Holder:
    def __init__(self) -> None:
        self.signer = Ed25519Signer.generate()
        self.did = did_key(self.signer.public_key_multibase)
        self.method = did_key_verification_method(self.signer.public_key_multibase)

    def challenge(self, client: TestClient) -> dict[str, str]:
        response = client.post("/api/pool/challenges")
        assert response.status_code == 201, response.text
        issued: dict[str, str] = response.json()
        return issued

    def present(self, client: TestClient | None, credential: dict[str, Any] | str, *, challenge: str | None = None,
                domain: str | None = None, jwt: bool = False, claims: dict[str, Any] | None = None,
                method: str | None = None) -> dict[str, Any] | str:
        if challenge is None or domain is None:
            assert client is not None
            issued = self.challenge(client)
            challenge, domain = challenge or issued["challenge"], domain or issued["domain"]
        item: Any = credential if isinstance(credential, dict) else {
            "@context": VC_V2, "id": f"data:application/vc+jwt,{credential}", "type": "EnvelopedVerifiableCredential"}
        vp = {"@context": [VC_V2], "type": ["VerifiablePresentation"], "holder": self.did,
              "verifiableCredential": [item]}
        if not jwt:
            return sign(vp, self.signer, method or self.method, created=datetime.now(UTC),
                        proof_purpose="authentication", challenge=challenge, domain=domain)
        header = {"alg": "EdDSA", "typ": "JWT", "kid": method or self.method}
        payload = {"iss": self.did, "aud": domain, "nonce": challenge, "iat": int(time.time()),
                   "exp": int(time.time()) + 600, "vp": vp, **(claims or {})}
        data = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
        return f"{data}.{_b64(self.signer.sign(data.encode()))}"
