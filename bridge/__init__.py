"""LEADS bridge: the application joining the data space, the LMSs and the issuer."""
