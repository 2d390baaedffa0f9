"""Holder binding with wallets: OpenID4VCI 1.0 issuance (pre-authorized code flow) and single-use holder nonces.

See docs/wallets.md for learners and docs/decisions/012-holder-binding.md for the choices.
"""
