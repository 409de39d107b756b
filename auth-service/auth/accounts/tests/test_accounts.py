"""Registration, login and the JWKS."""

from __future__ import annotations

import jwt
import pytest
from django.conf import settings

from auth.accounts.keys import current_signing_key
from auth.accounts.models import Session, User
from auth.accounts.tests.conftest import PASSWORD
from cotask_common.security.keys import StaticJWKSProvider
from cotask_common.users.models import UserRef

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
LOGIN = "/api/auth/login/"
JWKS = "/api/auth/.well-known/jwks.json"


def register(api_client, **overrides):
    payload = {"username": "ada", "email": "ada@example.com", "password": PASSWORD, **overrides}
    return api_client.post(REGISTER, payload, format="json")


def test_register_creates_the_account_and_announces_it(api_client, published_events):
    response = register(api_client, display_name="Ada L.", language="uk", time_zone="Europe/Kyiv")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["username"] == "ada"
    assert body["display_name"] == "Ada L."
    assert body["role"] == "user" and body["email_verified"] is False
    assert "password" not in body
    user = User.objects.get(id=body["id"])
    assert user.password.startswith("argon2")
    assert user.id.version == 7
    assert (user.language, user.time_zone) == ("uk", "Europe/Kyiv")
    [event] = published_events("auth.user.")
    assert event.type == "auth.user.registered"
    assert event.key == str(user.id)
    assert event.actor == str(user.id)
    assert event.data == {
        "id": str(user.id),
        "username": "ada",
        "display_name": "Ada L.",
        "role": "user",
        "email_verified": False,
        "email": "ada@example.com",
        "language": "uk",
        "time_zone": "Europe/Kyiv",
        "is_active": True,
    }
    # auth's own projection follows in the same transaction.
    assert UserRef.objects.get(id=user.id).username == "ada"


def test_display_name_defaults_to_the_username(api_client):
    assert register(api_client).json()["display_name"] == "ada"


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"username": "ADA"}, "username", "username_taken"),
        ({"email": "Ada@Example.COM", "username": "other"}, "email", "email_taken"),
    ],
)
def test_username_and_email_are_unique_regardless_of_case(
    api_client, published_events, overrides, field, code
):
    assert register(api_client).status_code == 201
    response = register(api_client, **overrides)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == code
    assert body["fields"][field][0]["code"] == code
    assert User.objects.count() == 1
    assert len(published_events("auth.user.registered")) == 1


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"password": "short"}, "password", "invalid_password"),
        ({"password": "12345678901"}, "password", "invalid_password"),
        ({"password": "ada-example"}, "password", "invalid_password"),
        ({"email": "not-an-email"}, "email", "invalid"),
        ({"username": "a b"}, "username", "invalid"),
        ({"username": "ab"}, "username", "min_length"),
        ({"username": ""}, "username", "blank"),
        ({"language": "de"}, "language", "invalid_choice"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "invalid_time_zone"),
        ({"display_name": "x" * 151}, "display_name", "max_length"),
    ],
)
def test_bad_input_names_the_field(api_client, published_events, overrides, field, code):
    response = register(api_client, **overrides)
    assert response.status_code == 400, response.json()
    body = response.json()
    assert field in body["fields"], body
    assert body["fields"][field][0]["code"] == code
    assert body["fields"][field][0]["message"]
    assert field in body["message"]
    assert User.objects.count() == 0
    assert published_events() == []


def test_missing_fields_are_each_named(api_client):
    response = api_client.post(REGISTER, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"username", "email", "password"}
    assert response.json()["fields"]["email"][0]["code"] == "required"


@pytest.mark.parametrize("login", ["ada", "ADA", "ada@example.com", "Ada@Example.com"])
def test_login_by_username_or_email_returns_verifiable_tokens(api_client, login):
    user_id = register(api_client).json()["id"]
    response = api_client.post(
        LOGIN,
        {"login": login, "password": PASSWORD},
        format="json",
        HTTP_USER_AGENT="Firefox/140",
        HTTP_X_FORWARDED_FOR="203.0.113.7",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings.JWT_ACCESS_LIFETIME_SECONDS == 300
    assert body["refresh_expires_in"] == settings.JWT_REFRESH_LIFETIME_SECONDS == 14 * 86400
    provider = StaticJWKSProvider(api_client.get(JWKS).json())
    for token, typ, lifetime in (
        (body["access"], "access", 300),
        (body["refresh"], "refresh", 14 * 86400),
    ):
        header = jwt.get_unverified_header(token)
        assert header["alg"] == "RS256"
        claims = jwt.decode(
            token,
            provider.get_key(header["kid"]),
            algorithms=["RS256"],
            audience="cotask",
            issuer="cotask-auth",
        )
        assert claims["sub"] == user_id
        assert claims["typ"] == typ
        assert claims["username"] == "ada" and claims["role"] == "user"
        assert claims["email_verified"] is False
        assert claims["sid"] == body["session_id"]
        assert claims["exp"] - claims["iat"] == lifetime
        assert {"iat", "nbf", "exp", "jti"} <= set(claims)
    session = Session.objects.get(id=body["session_id"])
    assert session.user_agent == "Firefox/140"
    assert session.ip == "203.0.113.7"
    assert session.revoked_at is None
    assert User.objects.get(id=user_id).last_login is not None


def test_the_access_token_works_on_whoami_and_me(api_client):
    register(api_client)
    access = api_client.post(LOGIN, {"login": "ada", "password": PASSWORD}, format="json").json()[
        "access"
    ]
    for path in ("/api/auth/whoami", "/api/auth/me/"):
        response = api_client.get(path, HTTP_AUTHORIZATION=f"Bearer {access}")
        assert response.status_code == 200, response.json()
        assert response.json()["username"] == "ada"


def test_a_refresh_token_is_not_an_access_token(api_client):
    register(api_client)
    refresh = api_client.post(LOGIN, {"login": "ada", "password": PASSWORD}, format="json").json()[
        "refresh"
    ]
    for path in ("/api/auth/whoami", "/api/auth/me/"):
        response = api_client.get(path, HTTP_AUTHORIZATION=f"Bearer {refresh}")
        assert response.status_code == 401
        assert response.json()["code"] == "token_wrong_type"


@pytest.mark.parametrize("login", ["ada", "nobody", "nobody@example.com"])
def test_wrong_password_and_unknown_account_get_the_same_answer(api_client, login):
    register(api_client)
    response = api_client.post(LOGIN, {"login": login, "password": "wrong-password"}, format="json")
    assert response.status_code == 401
    assert response.json() == {
        "code": "invalid_credentials",
        "message": "The username/email or password is wrong.",
        "request_id": response["X-Request-ID"],
    }
    assert Session.objects.count() == 0


def test_an_unknown_account_still_costs_one_password_hash(api_client, monkeypatch):
    """No enumeration by timing: the unknown-account path hashes exactly like a wrong password."""
    from auth.accounts.hashers import CoTaskArgon2PasswordHasher

    register(api_client)
    calls = []
    original = CoTaskArgon2PasswordHasher.verify

    def counting(self, password, encoded):
        calls.append(encoded.split("$")[3])  # the cost parameters
        return original(self, password, encoded)

    monkeypatch.setattr(CoTaskArgon2PasswordHasher, "verify", counting)
    seen = {}
    for login in ("nobody", "ada"):
        calls.clear()
        api_client.post(LOGIN, {"login": login, "password": "wrong-password"}, format="json")
        assert len(calls) == 1, login
        seen[login] = calls[0]
    assert seen["nobody"] == seen["ada"]


def test_an_inactive_account_cannot_log_in(api_client):
    register(api_client)
    User.objects.update(is_active=False)
    # Like a ban: told only to someone who gave the right password.
    response = api_client.post(LOGIN, {"login": "ada", "password": PASSWORD}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "user_inactive"
    response = api_client.post(LOGIN, {"login": "ada", "password": "wrong-One-1"}, format="json")
    assert response.json()["code"] == "invalid_credentials"


def test_login_requires_both_fields(api_client):
    response = api_client.post(LOGIN, {"login": "ada"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["password"]


def test_jwks_publishes_the_signing_key_with_its_kid(api_client):
    response = api_client.get(JWKS)
    assert response.status_code == 200
    [key] = response.json()["keys"]
    assert key["kid"] == current_signing_key().kid
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert "d" not in key  # never the private part
    assert "max-age=300" in response["Cache-Control"]


def test_the_openapi_schema_lists_every_account_endpoint(client):
    paths = client.get("/api/auth/schema/?format=json").json()["paths"]
    for path in (
        "/api/auth/register/",
        "/api/auth/login/",
        "/api/auth/token/refresh/",
        "/api/auth/logout/",
        "/api/auth/sessions/",
        "/api/auth/sessions/{session_id}/",
        "/api/auth/sessions/revoke-others/",
        "/api/auth/password/change/",
        "/api/auth/password/reset/",
        "/api/auth/password/reset/confirm/",
        "/api/auth/email/verify/",
        "/api/auth/email/verify/resend/",
        "/api/auth/me/",
        "/api/auth/me/delete/",
        "/api/auth/users/",
        "/api/auth/users/{user_id}/",
        "/api/auth/users/{user_id}/role/",
        "/api/auth/users/{user_id}/ban/",
        "/api/auth/users/{user_id}/unban/",
    ):
        assert path in paths, path


def test_createsuperuser_announces_the_account_like_a_registration(published_events, monkeypatch):
    from django.core.management import call_command

    from cotask_common.users.models import UserRef

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long operator passphrase 42")
    call_command("createsuperuser", interactive=False, username="operator", email="ops@example.com")
    user = User.objects.get(username="operator")
    assert user.is_superuser and user.check_password("a long operator passphrase 42")
    [event] = published_events("auth.user.registered")
    assert event.key == str(user.id) and event.data["username"] == "operator"
    assert UserRef.objects.filter(id=user.id, username="operator").exists()
