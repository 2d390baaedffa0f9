"""LEADS's reusable LTI 1.3 / LTI Advantage tool on pylti1p3 (knows nothing of the application that uses it)."""
