"""Running LEADS: Prometheus metrics, structured logs with request ids, readiness and liveness (decision 028)."""
