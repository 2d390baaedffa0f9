"""Issuer trust: who vouches for an issuer — this installation, its administrators, or a registry it follows."""
