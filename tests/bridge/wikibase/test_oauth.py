"""OAuth 2 (an owner-only consumer, client-credentials grant) instead of a bot password, through wikibaseintegrator."""

from __future__ import annotations

import pytest

from bridge.errors import UpstreamError
from bridge.wikibase.client import WikibaseClient
from tests.bridge.wikibase.conftest import _CLOCKS
from tests.bridge.wikibase.fake_rules import FakeClock
from tests.bridge.wikibase.fake_wikibase import FakeWikibase


def oauth_client(url: str, secret: str = "consumer-secret") -> WikibaseClient:
    """Shares the fake's clock, as every client of these tests: pacing writes below the edit rate costs no time."""
    clock = _CLOCKS.get(url) or FakeClock()
    return WikibaseClient(url, user_agent="LEADS-tests/0.1 (leads@example.org)", oauth_client_id="leads-consumer",
                          oauth_client_secret=secret, max_retries=2, backoff_seconds=0.01, timeout=5,
                          sleep=clock.sleep, clock=clock.now)


@pytest.fixture(autouse=True)
def _plain_http_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # oauthlib insists on https; the fake is loopback http


def test_bootstrap_with_oauth2_writes_as_the_consumer_owner(fake: FakeWikibase, clock: FakeClock) -> None:
    client = oauth_client(fake.url)
    created = client.bootstrap()
    assert created.created and fake.counts["oauth2_token"] == 1
    assert fake.counts["login"] == 0  # no bot-password log-in happened
    edits = [entry for entry in fake.log if entry.get("action") == "wbeditentity"]
    assert edits and all(entry.get("token") for entry in edits)
    assert len(clock.slept) >= len(edits) - 1  # the consumer's writes are paced below its edit rate, as a bot's


def test_wrong_consumer_secret_is_a_clear_error(fake: FakeWikibase) -> None:
    with pytest.raises(UpstreamError) as info:
        oauth_client(fake.url, secret="wrong").bootstrap()
    assert "OAuth consumer leads-consumer" in info.value.message and "invalid_client" in info.value.message
