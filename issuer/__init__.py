"""LEADS issuer: credential documents, proofs, keys, DIDs, status and verification (no LMS, no Wikibase)."""
