"""Credentials: issue signed OB3 / EDC / VC-JOSE credentials from designs, status lists, DIDs, verification."""
