"""Shared web plumbing: templates, content negotiation, error rendering."""
