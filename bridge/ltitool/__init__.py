"""LEADS as an LTI 1.3 tool: the ``lti`` package wired to the database, the data space and the pages."""
