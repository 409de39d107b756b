"""Throttles per address and per account on login, registration, password reset, resend."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from auth.accounts.tests.conftest import PASSWORD
from cotask_common.throttling import parse_rate

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login/"
REGISTER = "/api/auth/register/"
RESET = "/api/auth/password/reset/"
RESEND = "/api/auth/email/verify/resend/"
CHANGE = "/api/auth/password/change/"
CONFIRM = "/api/auth/password/reset/confirm/"
DELETE = "/api/auth/me/delete/"


@pytest.fixture
def rates(settings):
    settings.AUTH_THROTTLE_ENABLED = True

    def set_rates(**rates):
        settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, **rates}

    set_rates(**{scope: "1000/m" for scope in settings.AUTH_THROTTLE_RATES})
    return set_rates


def post(path, payload, ip="198.51.100.1"):
    return APIClient().post(path, payload, format="json", HTTP_X_FORWARDED_FOR=ip)


def assert_throttled(response, message):
    assert response.status_code == 429, response.json()
    body = response.json()
    assert body["code"] == "throttled"
    assert message in body["message"]
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= 3600
    assert body["retry_after"] == retry_after


def test_login_is_throttled_per_account_across_addresses(rates, make_account):
    rates(login_account="3/15m")
    make_account("ada")
    for attempt in range(3):
        response = post(LOGIN, {"login": "ada", "password": "wrong"}, ip=f"203.0.113.{attempt}")
        assert response.status_code == 401
    # The right password from yet another address: still refused until the window passes.
    response = post(LOGIN, {"login": "ADA", "password": PASSWORD}, ip="203.0.113.99")
    assert_throttled(
        response, "Too many login attempts for this account: at most 3 per 15 minutes."
    )
    # Another account is not affected.
    make_account("bob")
    assert post(LOGIN, {"login": "bob", "password": PASSWORD}).status_code == 200


def test_login_is_throttled_per_address(rates, make_account):
    rates(login_ip="2/m")
    make_account("ada")
    for name in ("x1", "x2"):
        assert post(LOGIN, {"login": name, "password": "wrong"}).status_code == 401
    assert_throttled(
        post(LOGIN, {"login": "ada", "password": PASSWORD}),
        "Too many login attempts from your network address: at most 2 per minute.",
    )
    assert post(LOGIN, {"login": "ada", "password": PASSWORD}, ip="198.51.100.2").status_code == 200


def test_registration_is_throttled_per_address_and_per_email(rates):
    rates(register_ip="2/h", register_account="1/h")

    def register(name, email=None, ip="198.51.100.1"):
        payload = {"username": name, "email": email or f"{name}@example.com", "password": PASSWORD}
        return post(REGISTER, payload, ip=ip)

    assert register("ada").status_code == 201
    assert_throttled(
        register("ada2", "ada@example.com", ip="198.51.100.9"),
        "Too many registrations with this email address: at most 1 per hour.",
    )
    assert register("bob").status_code == 201
    assert_throttled(
        register("carol"), "Too many registrations from your network address: at most 2 per hour."
    )


def test_password_reset_is_throttled_per_address_and_per_email(rates):
    rates(password_reset_ip="3/h", password_reset_account="2/h")
    for _ in range(2):
        assert post(RESET, {"email": "ada@example.com"}).status_code == 202
    assert_throttled(
        post(RESET, {"email": "ADA@example.com"}, ip="198.51.100.7"),
        "Too many password reset requests for this email address: at most 2 per hour.",
    )
    assert post(RESET, {"email": "bob@example.com"}).status_code == 202
    assert_throttled(
        post(RESET, {"email": "carol@example.com"}),
        "Too many password reset requests from your network address: at most 3 per hour.",
    )


def test_resending_verification_is_throttled_per_account(rates, signed_in):
    rates(verify_resend_account="1/h")
    client = signed_in(email_verified=False)
    assert client.post(RESEND).status_code == 202
    assert_throttled(
        client.post(RESEND), "Too many verification emails for this account: at most 1 per hour."
    )


def test_password_checks_of_a_signed_in_account_are_throttled_per_account(rates, signed_in):
    # A stolen access token must not turn password change and deletion into a guessing oracle:
    # one budget per account for both, from any address.
    rates(password_check_account="3/15m")
    client = signed_in()
    for attempt, path in enumerate((CHANGE, DELETE, CHANGE)):
        response = client.post(
            path,
            {"current_password": "wrong", "new_password": "A-new-pass-phrase-1", "password": "x"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}",
        )
        assert response.status_code == 400, response.json()
    assert_throttled(
        client.post(DELETE, {"password": PASSWORD}, format="json"),
        "Too many password checks for this account: at most 3 per 15 minutes.",
    )
    assert client.user.__class__.objects.filter(id=client.user.id).exists()
    # Another account keeps its own budget.
    other = signed_in()
    assert other.post(DELETE, {"password": "wrong"}, format="json").status_code == 400


def test_a_profile_update_with_the_current_password_shares_that_budget(rates, signed_in):
    # An email change takes the current password: the same budget as password change and
    # deletion. Reading the profile, or editing it without the password, is not counted.
    rates(password_check_account="2/15m")
    client = signed_in()
    for _ in range(3):
        assert client.get("/api/auth/me/").status_code == 200
        assert (
            client.patch("/api/auth/me/", {"display_name": "Ada"}, format="json").status_code == 200
        )
    client.post(CHANGE, {"current_password": "wrong", "new_password": "A-new-1"}, format="json")
    client.patch("/api/auth/me/", {"current_password": "wrong"}, format="json")
    assert_throttled(
        client.patch("/api/auth/me/", {"current_password": PASSWORD}, format="json"),
        "Too many password checks for this account: at most 2 per 15 minutes.",
    )
    assert client.get("/api/auth/me/").status_code == 200


def test_password_reset_confirmation_is_throttled_per_address(rates):
    rates(password_reset_confirm_ip="2/h")
    for _ in range(2):
        response = post(CONFIRM, {"token": "guess", "new_password": "A-new-pass-phrase-1"})
        assert response.status_code == 400
    assert_throttled(
        post(CONFIRM, {"token": "guess", "new_password": "A-new-pass-phrase-1"}),
        "Too many password reset attempts from your network address: at most 2 per hour.",
    )


def test_throttles_can_be_switched_off(settings, make_account):
    settings.AUTH_THROTTLE_ENABLED = False
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, "login_account": "1/h"}
    make_account("ada")
    for _ in range(3):
        assert post(LOGIN, {"login": "ada", "password": PASSWORD}).status_code == 200


def test_default_rates_are_set_and_parse(settings):
    from config import settings as config

    for scope, rate in config.AUTH_THROTTLE_RATES.items():
        count, seconds, _ = parse_rate(rate)
        assert count > 0 and seconds >= 60, scope
    assert parse_rate("10/15m") == (10, 900, "10 per 15 minutes")
    assert parse_rate("5/hour") == (5, 3600, "5 per hour")
    with pytest.raises(ValueError):
        parse_rate("ten per minute")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Too many login attempts for this account: at most 2 per 5 minutes."),
        ("ru", "Слишком много попыток входа в эту учётную запись: не более 2 за 5 минут."),
        ("uk", "Забагато спроб входу до цього облікового запису: не більше 2 за 5 хвилин."),
    ],
)
def test_the_limit_is_told_in_the_askers_language(rates, make_account, language, expected):
    rates(login_account="2/5m")
    make_account("ada")
    for _attempt in range(2):
        post(LOGIN, {"login": "ada", "password": "wrong"})
    response = APIClient().post(
        LOGIN,
        {"login": "ada", "password": "wrong"},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
        HTTP_X_FORWARDED_FOR="198.51.100.1",
    )
    assert_throttled(response, expected)
    assert response.json()["message"].startswith(expected)
    assert response["Content-Language"] == language
