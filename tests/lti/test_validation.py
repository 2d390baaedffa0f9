"""The checks pylti1p3 leaves out, as pure functions: each refusal has its own code."""

from __future__ import annotations

import pytest

from lti import validation as v
from lti.errors import LtiError


def _code(fn: object, *args: object) -> str:
    with pytest.raises(LtiError) as info:
        fn(*args)  # type: ignore[operator]
    return info.value.code


@pytest.mark.parametrize("alg", ["none", "HS256", "HS512", "ES256", None])
def test_only_rsa_signatures(alg: str | None) -> None:
    assert _code(v.check_header, {"alg": alg, "kid": "k"}) == "unsupported_algorithm"


def test_header_needs_a_kid() -> None:
    assert v.check_header({"alg": "RS256", "kid": "k1"}) == ("k1", "RS256")
    assert _code(v.check_header, {"alg": "RS256"}) == "missing_kid"


def test_audience_and_azp() -> None:
    v.check_audience({"aud": "c1"}, "c1")
    v.check_audience({"aud": ["c1", "c2"], "azp": "c1"}, "c1")
    assert _code(v.check_audience, {"aud": ["c2"]}, "c1") == "invalid_audience"
    assert _code(v.check_audience, {"aud": ["c1", "c2"]}, "c1") == "invalid_azp"
    assert _code(v.check_audience, {"aud": "c1", "azp": "c2"}, "c1") == "invalid_azp"


def test_times_with_leeway() -> None:
    now = 1_000_000.0
    v.check_times({"iat": now + 30, "exp": now - 30}, now, 60)  # inside the leeway both ways
    assert _code(v.check_times, {"iat": now, "exp": now - 61}, now, 60) == "token_expired"
    assert _code(v.check_times, {"iat": now + 61, "exp": now + 600}, now, 60) == "token_not_yet_valid"
    assert _code(v.check_times, {"iat": "yesterday", "exp": now}, now, 60) == "missing_claim"


def test_deep_linking_needs_its_return_url() -> None:
    body = {"iss": "i", "aud": "a", "nonce": "n", v.MESSAGE_TYPE: v.DEEP_LINKING_REQUEST, v.VERSION: "1.3.0",
            v.DEPLOYMENT_ID: "d", v.ROLES: [], v.DEEP_LINKING_SETTINGS: {"deep_link_return_url": "https://p/r"}}
    assert v.check_required_claims(body) == v.DEEP_LINKING_REQUEST
    body[v.DEEP_LINKING_SETTINGS] = {}
    assert _code(v.check_required_claims, body) == "missing_claim"
    body[v.DEEP_LINKING_SETTINGS] = {"deep_link_return_url": "https://p/r"}
    body[v.VERSION] = "1.1"
    assert _code(v.check_required_claims, body) == "unsupported_version"
    body[v.VERSION], body[v.MESSAGE_TYPE] = "1.3.0", "LtiSubmissionReviewRequest"
    assert _code(v.check_required_claims, body) == "unsupported_message_type"


def test_access_tokens_are_cached_until_shortly_before_expiry() -> None:
    from lti.services import EXPIRY_MARGIN, TokenCache

    cache = TokenCache()
    key = ("https://lms", "client", "scope-a scope-b")
    cache.put(key, "token-1", 1000.0)
    assert cache.get(key, 1000.0 - EXPIRY_MARGIN - 1) == "token-1"
    assert cache.get(key, 1000.0 - EXPIRY_MARGIN) is None  # renewed before the platform would refuse it
    assert cache.get(("https://lms", "client", "other"), 0.0) is None
