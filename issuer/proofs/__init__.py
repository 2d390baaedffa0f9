"""Securing formats: Data Integrity eddsa-rdfc-2022 (embedded proof) and VC-JOSE (a JWT)."""
