"""Prometheus counters and histograms that the code moves as things happen, in whichever process they happen.

They sit at the bottom of the layers (decision 019) so any domain can count; the gauges read from the database at
scrape time, and the exposition, live in ``bridge.ops.metrics``. With several processes,
``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's multiprocess mode) makes every process write its values to files in
that directory and the scrape adds them up (``docs/operations.md``).
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram

CONTENT_TYPE = CONTENT_TYPE_LATEST

HTTP_REQUESTS = Counter("leads_http_requests", "HTTP requests answered", ["method", "route", "status"])
HTTP_SECONDS = Histogram("leads_http_request_duration_seconds", "Time to answer an HTTP request", ["method", "route"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
LTI_LAUNCHES = Counter("leads_lti_launches", "LTI launches by outcome (accepted, refused, error)", ["outcome"])
VERIFICATIONS = Counter("leads_verifications", "Credential verifications by verdict (verified, invalid, revoked, "
                        "suspended, expired, untrusted, unknown, error…)", ["outcome"])
VERIFY_SECONDS = Histogram("leads_verification_duration_seconds", "Time to verify one credential",
                           buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20))
ISSUED = Counter("leads_credentials_issued", "Credentials signed", ["format"])
REVOKED = Counter("leads_credentials_revoked", "Credentials revoked")
JOB_FAILURES = Counter("leads_award_job_failures", "Award jobs that failed an attempt (retried or given up)",
                       ["kind"])
WIKIBASE_SYNC = Counter("leads_wikibase_sync", "Wikibase pushes by outcome (ok, conflict, error)", ["outcome"])
WIKIBASE_ENTITIES = Counter("leads_wikibase_entities_written", "Entities created or updated on the Wikibase")
AGS_POLLS = Counter("leads_ags_polls", "AGS polls of one course by outcome (ok, failed)", ["outcome"])


def _verdict(report: Any) -> str:
    try:
        return "verified" if report.ok else str(report.verdict)
    except Exception:  # a report without a verdict is still counted
        return "unknown"


def count_verification(report: Any, seconds: float) -> None:
    VERIFICATIONS.labels(_verdict(report)).inc()
    VERIFY_SECONDS.observe(seconds)
