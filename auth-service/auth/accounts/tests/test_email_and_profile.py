"""Email verification, `me` and its email change, in the user's language."""

from __future__ import annotations

import re

import pytest
from django.core import signing
from django.test import override_settings
from rest_framework.test import APIClient

from auth.accounts import services
from auth.accounts.models import User
from auth.accounts.tests.conftest import PASSWORD
from cotask_common.users.models import UserRef

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
VERIFY = "/api/auth/email/verify/"
RESEND = "/api/auth/email/verify/resend/"
ME = "/api/auth/me/"


def token_in(message) -> str:
    found = re.search(r"token=(\S+)", message.body)
    assert found, message.body
    return found[1]


def register(on_commit, **fields):
    payload = {"username": "ada", "email": "ada@example.com", "password": PASSWORD, **fields}
    with on_commit():
        response = APIClient().post(REGISTER, payload, format="json")
    assert response.status_code == 201, response.json()
    return User.objects.get(id=response.json()["id"])


def test_registration_mails_a_verification_link(on_commit, mailoutbox, published_events):
    user = register(on_commit)
    [message] = mailoutbox
    assert message.to == ["ada@example.com"]
    assert message.subject == "Confirm your email address for CoTask"
    assert "Hello, ada!" in message.body
    assert "http://127.0.0.1:8080/verify-email?lang=en&token=" in message.body

    response = APIClient().post(VERIFY, {"token": token_in(message)}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["email_verified"] is True
    user.refresh_from_db()
    assert user.email_verified
    [event] = published_events("auth.user.email_verified")
    assert event.data["email_verified"] is True and event.data["email"] == "ada@example.com"
    assert UserRef.objects.get(id=user.id).email_verified is True
    # Following the link again changes nothing and announces nothing.
    assert APIClient().post(VERIFY, {"token": token_in(message)}, format="json").status_code == 200
    assert len(published_events("auth.user.email_verified")) == 1


@pytest.mark.parametrize(
    ("language", "subject", "greeting"),
    [
        ("ru", "Подтвердите адрес электронной почты для CoTask", "Здравствуйте, ada!"),
        ("uk", "Підтвердіть адресу електронної пошти для CoTask", "Вітаємо, ada!"),
    ],
)
def test_the_email_is_in_the_users_language(on_commit, mailoutbox, language, subject, greeting):
    register(on_commit, language=language)
    [message] = mailoutbox
    assert message.subject == subject
    assert greeting in message.body


def test_new_tokens_carry_email_verified(on_commit, mailoutbox, signed_in):
    user = register(on_commit)
    APIClient().post(VERIFY, {"token": token_in(mailoutbox[0])}, format="json")
    pair = services.login(login="ada", password=PASSWORD)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access}")
    assert client.get("/api/auth/whoami").json()["email_verified"] is True
    assert user.id


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("garbage", "token_invalid"),
        ("tampered", "token_invalid"),
        ("expired", "token_expired"),
        ("other_salt", "token_invalid"),
        ("", "blank"),
    ],
)
def test_bad_verification_tokens(on_commit, mailoutbox, token, code):
    register(on_commit)
    good = token_in(mailoutbox[0])
    tokens = {
        "garbage": "garbage",
        "tampered": good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        "expired": good,
        "other_salt": signing.dumps({"u": "x", "e": "ada@example.com"}, salt="other"),
        "": "",
    }
    with override_settings(AUTH_EMAIL_VERIFICATION_MAX_AGE_SECONDS=-1):
        response = APIClient().post(VERIFY, {"token": tokens[token]}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["token"][0]["code"] == code
    assert not User.objects.get().email_verified


def test_resend_verification(on_commit, mailoutbox, signed_in):
    client = signed_in(email_verified=False)
    assert APIClient().post(RESEND).status_code == 401
    with on_commit():
        response = client.post(RESEND)
    assert response.status_code == 202
    assert response.json() == {"sent_to": client.user.email}
    [message] = mailoutbox
    assert APIClient().post(VERIFY, {"token": token_in(message)}, format="json").status_code == 200
    response = client.post(RESEND)
    assert response.status_code == 409
    assert response.json()["code"] == "already_verified"


def test_me_shows_the_account(signed_in):
    client = signed_in(username="ada", time_zone="Europe/Kyiv", language="uk")
    response = client.get(ME)
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "ada" and body["email"] == "ada@example.com"
    assert body["time_zone"] == "Europe/Kyiv" and body["language"] == "uk"
    assert body["pending_email"] == "" and body["role"] == "user"
    assert "password" not in body


def test_me_needs_a_token():
    assert APIClient().get(ME).status_code == 401
    assert APIClient().patch(ME, {"display_name": "x"}, format="json").status_code == 401


def test_update_profile_is_announced(signed_in, published_events):
    client = signed_in(username="ada")
    response = client.patch(
        ME,
        {"display_name": " Ada L. ", "time_zone": "America/New_York", "language": "ru"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["display_name"], body["time_zone"], body["language"]) == (
        "Ada L.",
        "America/New_York",
        "ru",
    )
    [event] = published_events("auth.user.updated")
    assert event.data["display_name"] == "Ada L." and event.data["time_zone"] == "America/New_York"
    assert event.data["language"] == "ru"
    assert UserRef.objects.get(id=client.user.id).display_name == "Ada L."
    # Nothing changed: nothing announced.
    client.patch(ME, {"display_name": "Ada L."}, format="json")
    assert len(published_events("auth.user.updated")) == 1


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"time_zone": "Europe/Atlantis"}, "time_zone", "invalid_time_zone"),
        ({"language": "fr"}, "language", "invalid_choice"),
        ({"display_name": "x" * 151}, "display_name", "max_length"),
        ({"email": "nope"}, "email", "invalid"),
    ],
)
def test_update_profile_errors_name_the_field(signed_in, published_events, payload, field, code):
    client = signed_in()
    response = client.patch(ME, payload, format="json")
    assert response.status_code == 400
    assert response.json()["fields"][field][0]["code"] == code
    assert published_events() == []


def test_changing_email_needs_the_new_address_verified(
    signed_in, on_commit, mailoutbox, published_events, api_client
):
    client = signed_in(username="ada")
    with on_commit():
        response = client.patch(
            ME, {"email": "ada@new.example", "current_password": PASSWORD}, format="json"
        )
    assert response.status_code == 200
    body = response.json()
    # The old address stays the account's (and verified) until the new one is confirmed.
    assert body["email"] == "ada@example.com" and body["pending_email"] == "ada@new.example"
    assert body["email_verified"] is True
    message, notice = mailoutbox
    assert message.to == ["ada@new.example"] and notice.to == ["ada@example.com"]
    assert published_events("auth.user.") == []

    response = api_client.post(VERIFY, {"token": token_in(message)}, format="json")
    assert response.status_code == 200
    user = User.objects.get(id=client.user.id)
    assert (user.email, user.pending_email, user.email_verified) == ("ada@new.example", "", True)
    [event] = published_events("auth.user.email_verified")
    assert event.data["email"] == "ada@new.example"
    assert services.login(login="ada@new.example", password=PASSWORD)


def test_a_link_for_a_superseded_address_is_refused(signed_in, on_commit, mailoutbox):
    client = signed_in()
    with on_commit():
        client.patch(
            ME, {"email": "first@new.example", "current_password": PASSWORD}, format="json"
        )
    with on_commit():
        client.patch(
            ME, {"email": "second@new.example", "current_password": PASSWORD}, format="json"
        )
    first, _notice, second, _notice2 = mailoutbox
    response = APIClient().post(VERIFY, {"token": token_in(first)}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["token"][0]["code"] == "token_invalid"
    assert APIClient().post(VERIFY, {"token": token_in(second)}, format="json").status_code == 200


def test_changing_to_a_taken_email_is_a_conflict(signed_in, make_account):
    make_account(email="taken@example.com")
    response = signed_in().patch(
        ME, {"email": "TAKEN@example.com", "current_password": PASSWORD}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["fields"]["email"][0]["code"] == "email_taken"


def test_an_address_taken_while_pending_is_refused_at_verification(
    signed_in, on_commit, mailoutbox, make_account
):
    client = signed_in()
    with on_commit():
        client.patch(ME, {"email": "race@example.com", "current_password": PASSWORD}, format="json")
    make_account(email="race@example.com")
    response = APIClient().post(VERIFY, {"token": token_in(mailoutbox[0])}, format="json")
    assert response.status_code == 409
    assert response.json()["fields"]["email"][0]["code"] == "email_taken"


def test_resend_goes_to_the_pending_address(signed_in, on_commit, mailoutbox):
    client = signed_in()
    client.patch(ME, {"email": "pending@example.com", "current_password": PASSWORD}, format="json")
    with on_commit():
        response = client.post(RESEND)
    assert response.json() == {"sent_to": "pending@example.com"}
    assert mailoutbox[-1].to == ["pending@example.com"]


def test_asking_for_the_current_address_cancels_a_pending_change(signed_in):
    client = signed_in()
    client.patch(ME, {"email": "pending@example.com", "current_password": PASSWORD}, format="json")
    response = client.patch(
        ME, {"email": client.user.email.upper(), "current_password": PASSWORD}, format="json"
    )
    assert response.json()["pending_email"] == ""
