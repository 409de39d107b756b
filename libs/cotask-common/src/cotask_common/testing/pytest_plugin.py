"""Fixtures every service's tests use: a token factory, API clients acting as a given user and
role, and the events a test published. Loaded automatically (entry point `pytest11`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest


class TestKeys:
    """An RSA key pair the services under test trust, installed as the token key provider."""

    def __init__(self) -> None:
        from cotask_common.security.signing import generate_private_key, key_id, public_jwk

        self.private_key = generate_private_key()
        self.kid = key_id(self.private_key.public_key())
        self.jwks = {"keys": [public_jwk(self.private_key.public_key(), self.kid)]}


@pytest.fixture(scope="session")
def jwt_test_keys() -> TestKeys:
    return TestKeys()


def _django_ready() -> bool:
    try:
        from django.conf import settings

        return settings.configured
    except ImportError:  # pragma: no cover - e2e suites run without Django
        return False


def pytest_configure(config: pytest.Config) -> None:
    """The folders under var/ the service's settings point into (importing settings makes none;
    pytest-django has loaded them by now)."""
    if not _django_ready():
        return
    from django.conf import settings

    service = getattr(settings, "COTASK_SERVICE", None)
    if service:
        from cotask_common.prepare import prepare_var_dir

        prepare_var_dir(services=[service], var_dir=settings.COTASK_VAR_DIR, secrets_too=False)
    # The snapshot of restricted users is re-read only when a test says so (make_user, the
    # auth-event consumer and the fixture below invalidate it), never because two seconds
    # passed: a slow machine would otherwise add that read to a request whose queries are
    # being counted, at random.
    settings.COTASK_BLOCKLIST_TTL_SECONDS = 24 * 3600


@pytest.fixture(autouse=True)
def _restrictions_read_afresh() -> None:
    """Each test starts from the database's restrictions, not from a snapshot an earlier test
    left in this process."""
    if _django_ready():
        from cotask_common.users.selectors import invalidate_restrictions

        invalidate_restrictions()


@pytest.fixture
def trust_test_keys(jwt_test_keys: TestKeys) -> Iterator[TestKeys]:
    from cotask_common.security.keys import StaticJWKSProvider, get_key_provider, set_key_provider

    previous = None
    try:
        previous = get_key_provider()
    except Exception:
        previous = None
    set_key_provider(StaticJWKSProvider(jwt_test_keys.jwks))
    yield jwt_test_keys
    set_key_provider(previous)


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    """A UserRef as if auth-service had announced it."""
    from django.utils import timezone

    from cotask_common.security.authentication import remember_known_user
    from cotask_common.users.models import UserRef
    from cotask_common.users.selectors import invalidate_restrictions

    def factory(*, role: str = "user", username: str | None = None, **fields: Any) -> UserRef:
        user_id = fields.pop("id", None) or uuid.uuid4()
        ref = UserRef.objects.create(
            id=user_id,
            username=username or f"user-{uuid.UUID(str(user_id)).hex[:8]}",
            role=role,
            email_verified=fields.pop("email_verified", True),
            source_version=fields.pop("source_version", timezone.now()),
            **fields,
        )
        invalidate_restrictions()
        # As for an account this process has served before: its requests add no query.
        remember_known_user(ref.id)
        return ref

    return factory


@pytest.fixture
def make_token(trust_test_keys: TestKeys) -> Callable[..., str]:
    """`make_token(user, role=..., lifetime=..., **claim_overrides)`: a signed access token."""
    from django.conf import settings

    from cotask_common.security.signing import encode_token, standard_claims

    def factory(
        user: Any = None,
        *,
        role: str | None = None,
        token_type: str = "access",  # noqa: S107 - a token kind, not a secret
        lifetime: timedelta = timedelta(minutes=5),
        **overrides: Any,
    ) -> str:
        claims = standard_claims(
            user_id=getattr(user, "id", None) or uuid.uuid4(),
            username=getattr(user, "username", "someone"),
            role=role or getattr(user, "role", "user"),
            email_verified=getattr(user, "email_verified", True),
            session_id=uuid.uuid4().hex,
            token_type=token_type,
            lifetime=lifetime,
            issuer=settings.COTASK_JWT_ISSUER,
            audience=settings.COTASK_JWT_AUDIENCE,
        )
        claims.update(overrides)
        return encode_token(
            claims, private_key=trust_test_keys.private_key, kid=trust_test_keys.kid
        )

    return factory


@pytest.fixture
def api_client() -> Any:
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def client_for(make_user: Callable[..., Any], make_token: Callable[..., str]) -> Callable[..., Any]:
    """`client_for(user)` or `client_for(role="moderator")`: an APIClient acting as that user."""
    from rest_framework.test import APIClient

    def factory(user: Any = None, *, role: str = "user", **token_overrides: Any) -> Any:
        if user is None:
            user = make_user(role=role)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(user, **token_overrides)}")
        client.user = user
        return client

    return factory


@pytest.fixture
def published_events(db: Any) -> Callable[..., list[Any]]:
    """`published_events(type_prefix=None)`: the events this test wrote to the outbox."""
    from cotask_common.events.testing import published_events as read_published

    def reader(type_prefix: str | None = None) -> list[Any]:
        return read_published(type_prefix=type_prefix)

    return reader
