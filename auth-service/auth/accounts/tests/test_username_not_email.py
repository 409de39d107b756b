"""A username cannot be an email address, and at login the email match wins: nobody can squat
another person's email login."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from auth.accounts.models import User
from auth.accounts.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
LOGIN = "/api/auth/login/"


@pytest.mark.parametrize("username", ["victim@example.com", "a@b", "ada@"])
def test_registration_refuses_a_username_with_an_at_sign(api_client, published_events, username):
    response = api_client.post(
        REGISTER,
        {"username": username, "email": "squatter@example.com", "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["fields"]["username"][0]["code"] == "username_is_email"
    assert "@" in body["fields"]["username"][0]["message"]
    assert not User.objects.exists() and published_events() == []


@pytest.mark.parametrize(("language", "word"), [("ru", "адрес"), ("uk", "адрес")])
def test_the_refusal_is_translated(language, word):
    from django.utils import translation

    from auth.accounts.models import USERNAME_IS_EMAIL_MESSAGE

    with translation.override(language):
        assert word in str(USERNAME_IS_EMAIL_MESSAGE)


def test_the_email_match_wins_at_login_over_a_legacy_username(api_client, make_account):
    # An account made before such names were refused, named like someone else's address.
    squatter = make_account("victim@example.com", email="squatter@example.com")
    victim = make_account("victim", email="Victim@Example.com")
    response = api_client.post(
        LOGIN, {"login": "victim@example.com", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    from cotask_common.security.tokens import decode_token

    assert decode_token(response.json()["access"])["sub"] == str(victim.id)
    # The legacy username still logs in while no account has that address... and the squatter
    # can always use their own email.
    victim.email = "victim@elsewhere.example"
    victim.save(update_fields=["email"])
    response = api_client.post(
        LOGIN, {"login": "victim@example.com", "password": PASSWORD}, format="json"
    )
    assert decode_token(response.json()["access"])["sub"] == str(squatter.id)


def test_django_admin_refuses_such_a_username(client, make_account):
    staff = make_account("staff", role="admin", is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.post(
        "/admin/auth/accounts/user/add/",
        {
            "username": "someone@example.com",
            "email": "newbie@example.com",
            "password1": "Some-long-pass-42",
            "password2": "Some-long-pass-42",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert b"cannot contain" in response.content
    assert not User.objects.filter(username="someone@example.com").exists()


def test_createsuperuser_refuses_such_a_username():
    with pytest.raises(CommandError):
        call_command(
            "createsuperuser", interactive=False, username="ops@example.com", email="o@example.com"
        )
    assert not User.objects.exists()
