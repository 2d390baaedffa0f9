"""Scheduled jobs (AGS poll, pool re-check, registry refresh) that run once per period however many replicas run."""
