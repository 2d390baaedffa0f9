"""When a signed status list may be served as it is: the one rule the ORM store, ``leads verify``'s SQLite reader and
the web verifier's kept lists apply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bridge.credentials.local_lists import local_status_list_id, signed_is_fresh, status_url, still_valid

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _until(delta: timedelta) -> dict[str, str]:
    return {"validUntil": (NOW + delta).isoformat().replace("+00:00", "Z")}


def test_valid_for_more_than_an_hour() -> None:
    assert still_valid(_until(timedelta(hours=2)), NOW)
    assert not still_valid(_until(timedelta(minutes=59)), NOW)  # re-signed before it runs out
    assert not still_valid(_until(-timedelta(days=1)), NOW)
    assert still_valid({}, NOW)  # no end of validity
    assert not still_valid({"validUntil": "tomorrow"}, NOW)  # unreadable: signed again, not trusted
    assert not still_valid({"validUntil": "2099-01-01T00:00:00"}, NOW)  # no time zone: cannot be compared


def test_fresh_needs_the_current_version_too() -> None:
    signed = _until(timedelta(hours=20))
    assert signed_is_fresh(signed, 3, 3, NOW)
    assert not signed_is_fresh(signed, 4, 3, NOW)  # the list changed since it was signed
    assert not signed_is_fresh(None, 1, 0, NOW)


def test_urls_of_this_installations_lists() -> None:
    url = status_url("https://leads.example.org/", "abc")
    assert url == "https://leads.example.org/status/abc"
    assert local_status_list_id("https://leads.example.org", url) == "abc"
    assert local_status_list_id("https://leads.example.org", "https://other.example/status/abc") is None
