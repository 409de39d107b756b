from __future__ import annotations

import time
from datetime import timedelta

import pytest

from cotask_common.security.tokens import TokenError, decode_token, verified_tokens


@pytest.fixture(autouse=True)
def empty_cache():
    verified_tokens.clear()
    yield
    verified_tokens.clear()


def test_a_verified_token_is_served_from_the_cache_until_it_expires(make_token, monkeypatch):
    token = make_token(lifetime=timedelta(seconds=30))
    claims = decode_token(token)
    assert verified_tokens.get(token)[0] is claims
    assert decode_token(token) is claims
    # Later than its expiry, the cached copy is refused just like a fresh one would be.
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 31)
    with pytest.raises(TokenError) as refused:
        decode_token(token)
    assert refused.value.code == "token_expired"
    assert verified_tokens.get(token) is None


def test_the_cache_still_checks_the_token_type(make_token):
    token = make_token(token_type="refresh")
    assert decode_token(token, expected_type="refresh")["typ"] == "refresh"
    with pytest.raises(TokenError) as refused:
        decode_token(token)
    assert refused.value.code == "token_wrong_type"


def test_the_cache_is_bounded(make_token, monkeypatch):
    monkeypatch.setattr(verified_tokens, "max_size", 3)
    tokens = [make_token() for _ in range(5)]
    for token in tokens:
        decode_token(token)
    assert [verified_tokens.get(t) is not None for t in tokens] == [False, False, True, True, True]
