"""Registration, login and the JWKS: the minimal account slice."""

from __future__ import annotations

import jwt
import pytest
from django.conf import settings

from auth.accounts.keys import current_signing_key
from auth.accounts.models import User
from cotask_common.security.keys import StaticJWKSProvider, set_key_provider

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
LOGIN = "/api/auth/login/"
JWKS = "/api/auth/.well-known/jwks.json"
PASSWORD = "correct-Horse-battery-9"


@pytest.fixture(autouse=True)
def own_keys():
    # auth-service verifies with its own key (the test kit installs a foreign one elsewhere).
    set_key_provider(None)
    yield
    set_key_provider(None)


def register(api_client, **overrides):
    payload = {"username": "ada", "email": "ada@example.com", "password": PASSWORD, **overrides}
    return api_client.post(REGISTER, payload, format="json")


def test_register_creates_the_account_and_announces_it(api_client, published_events):
    response = register(api_client, display_name="Ada L.")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["username"] == "ada"
    assert body["display_name"] == "Ada L."
    assert body["role"] == "user" and body["email_verified"] is False
    assert "password" not in body
    user = User.objects.get(id=body["id"])
    assert user.password.startswith("argon2")
    assert user.id.version == 7
    [event] = published_events("auth.user.")
    assert event.type == "auth.user.registered"
    assert event.key == str(user.id)
    assert event.data == {
        "id": str(user.id),
        "username": "ada",
        "display_name": "Ada L.",
        "role": "user",
        "email_verified": False,
    }


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
    ("overrides", "field"),
    [
        ({"password": "short"}, "password"),
        ({"password": "12345678901"}, "password"),
        ({"password": "ada-example"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"username": "a b"}, "username"),
        ({"username": "ab"}, "username"),
        ({"username": ""}, "username"),
    ],
)
def test_bad_input_names_the_field(api_client, published_events, overrides, field):
    response = register(api_client, **overrides)
    assert response.status_code == 400, response.json()
    body = response.json()
    assert field in body["fields"], body
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
    response = api_client.post(LOGIN, {"login": login, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings.JWT_ACCESS_LIFETIME_SECONDS
    provider = StaticJWKSProvider(api_client.get(JWKS).json())
    for token, typ in ((body["access"], "access"), (body["refresh"], "refresh")):
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
        assert {"sid", "iat", "exp", "jti"} <= set(claims)
    assert (
        jwt.decode(body["access"], options={"verify_signature": False})["exp"]
        - jwt.decode(body["access"], options={"verify_signature": False})["iat"]
        == settings.JWT_ACCESS_LIFETIME_SECONDS
    )


def test_the_access_token_works_on_whoami(api_client):
    register(api_client)
    access = api_client.post(LOGIN, {"login": "ada", "password": PASSWORD}, format="json").json()[
        "access"
    ]
    response = api_client.get("/api/auth/whoami", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert response.status_code == 200
    assert response.json()["username"] == "ada"


def test_a_refresh_token_is_not_an_access_token(api_client):
    register(api_client)
    refresh = api_client.post(LOGIN, {"login": "ada", "password": PASSWORD}, format="json").json()[
        "refresh"
    ]
    response = api_client.get("/api/auth/whoami", HTTP_AUTHORIZATION=f"Bearer {refresh}")
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
