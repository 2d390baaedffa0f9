"""Which words of a revocation reach the public: the reason an administrator or instructor types (``POST
/api/credentials/{id}/revoke``, the awards dashboard) is for the record — "Plagiarism: copied assignment 3 (case
2026-114)" — and stays with the credential for them; a verification, the certificate page and the verify page show
only a fixed category LEADS wrote itself. Today there is one: the key retirement, so a holder learns that a
replacement exists (docs/decisions/025). The operator's own words about the key ("laptop stolen") stay private too."""

from __future__ import annotations

KEY_RETIRED = "signing key retired"
PUBLIC_KEY_RETIRED = f"{KEY_RETIRED}; a replacement is issued"


def key_retired_reason(reason: str) -> str:
    """The stored revocation reason of a credential whose signing key was retired (the operator's words kept)."""
    return f"{KEY_RETIRED} ({reason.strip()}); a replacement is issued"


def public_reason(reason: str | None) -> str | None:
    """The part of a stored revocation reason anyone may read: the fixed category, or None (nothing)."""
    if reason and reason.startswith(f"{KEY_RETIRED} (") and reason.endswith("; a replacement is issued"):
        return PUBLIC_KEY_RETIRED
    return None
