"""Password change and reset; account deletion."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from auth.accounts import services
from auth.accounts.models import Session, User
from auth.accounts.tests.conftest import PASSWORD
from cotask_common.users.models import UserRef
from cotask_common.users.selectors import invalidate_restrictions

pytestmark = pytest.mark.django_db

CHANGE = "/api/auth/password/change/"
RESET = "/api/auth/password/reset/"
CONFIRM = "/api/auth/password/reset/confirm/"
DELETE = "/api/auth/me/delete/"
LOGIN = "/api/auth/login/"
ME = "/api/auth/me/"
NEW = "a-brand-new-Passphrase-7"


def login(login_name, password):
    return APIClient().post(LOGIN, {"login": login_name, "password": password}, format="json")


def reset_token(message) -> str:
    found = re.search(r"token=(\S+)", message.body)
    assert found, message.body
    return found[1]


# --- change


def test_change_password_ends_the_other_sessions(signed_in):
    phone = signed_in(username="ada")
    laptop = signed_in(phone.user)
    response = phone.post(
        CHANGE, {"current_password": PASSWORD, "new_password": NEW}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {"revoked": 1}
    assert phone.get(ME).status_code == 200
    assert laptop.get(ME).json()["code"] == "session_revoked"
    assert Session.objects.get(id=laptop.tokens.session_id).revoke_reason == "password_changed"
    assert login("ada", PASSWORD).status_code == 401
    assert login("ada", NEW).status_code == 200


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"current_password": "wrong", "new_password": NEW}, "current_password", "wrong_password"),
        (
            {"current_password": PASSWORD, "new_password": "short"},
            "new_password",
            "invalid_password",
        ),
        (
            {"current_password": PASSWORD, "new_password": "ada-example"},
            "new_password",
            "invalid_password",
        ),
        ({"new_password": NEW}, "current_password", "required"),
    ],
)
def test_change_password_errors(signed_in, payload, field, code):
    client = signed_in(username="ada")
    response = client.post(CHANGE, payload, format="json")
    assert response.status_code == 400
    assert response.json()["fields"][field][0]["code"] == code
    assert login("ada", PASSWORD).status_code == 200


def test_change_password_needs_a_token():
    response = APIClient().post(
        CHANGE, {"current_password": "x", "new_password": NEW}, format="json"
    )
    assert response.status_code == 401


# --- reset


def test_reset_gives_the_same_answer_whether_or_not_the_address_exists(
    make_account, on_commit, mailoutbox
):
    make_account("ada")
    answers = []
    for email in ("ada@example.com", "nobody@example.com"):
        with on_commit():
            response = APIClient().post(RESET, {"email": email}, format="json")
        answers.append((response.status_code, response.json()))
    assert answers[0] == answers[1]
    assert answers[0][0] == 202
    [message] = mailoutbox  # only the real account got a link
    assert message.to == ["ada@example.com"]
    assert message.subject == "Reset your CoTask password"


def test_reset_email_speaks_the_users_language(make_account, on_commit, mailoutbox):
    make_account("olena", language="uk")
    with on_commit():
        APIClient().post(RESET, {"email": "OLENA@example.com"}, format="json")
    assert mailoutbox[0].subject == "Скидання пароля CoTask"
    assert "Вітаємо" in mailoutbox[0].body


def test_reset_sets_the_password_and_ends_every_session(signed_in, on_commit, mailoutbox):
    client = signed_in(username="ada")
    with on_commit():
        APIClient().post(RESET, {"email": "ada@example.com"}, format="json")
    token = reset_token(mailoutbox[0])
    response = APIClient().post(CONFIRM, {"token": token, "new_password": NEW}, format="json")
    assert response.status_code == 204
    assert client.get(ME).json()["code"] == "session_revoked"
    assert login("ada", NEW).status_code == 200
    # The link works once.
    again = APIClient().post(CONFIRM, {"token": token, "new_password": NEW + "x"}, format="json")
    assert again.status_code == 400
    assert again.json()["fields"]["token"][0]["code"] == "token_invalid"


@pytest.mark.parametrize(
    ("token", "password", "field", "code"),
    [
        ("nonsense", NEW, "token", "token_invalid"),
        ("0123456789abcdef0123456789abcdef.abc-def", NEW, "token", "token_invalid"),
        ("good", "short", "new_password", "invalid_password"),
        ("good", "", "new_password", "blank"),
    ],
)
def test_reset_confirm_errors(make_account, token, password, field, code):
    user = make_account("ada")
    if token == "good":
        token = services.make_password_reset_token(user=user)
    response = APIClient().post(CONFIRM, {"token": token, "new_password": password}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"][field][0]["code"] == code
    assert login("ada", PASSWORD).status_code == 200


def test_reset_request_validates_the_address():
    response = APIClient().post(RESET, {"email": "not-an-address"}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["email"][0]["code"] == "invalid"


def test_a_deleted_account_gets_no_reset_link(make_account, on_commit, mailoutbox):
    user = make_account("ada")
    services.delete_account(user=user, password=PASSWORD)
    with on_commit():
        APIClient().post(RESET, {"email": "ada@example.com"}, format="json")
    assert mailoutbox == []


# --- deletion


def test_deleting_the_account(signed_in, published_events, api_client):
    client = signed_in(username="ada")
    laptop = signed_in(client.user)
    response = client.post(DELETE, {"password": PASSWORD}, format="json")
    assert response.status_code == 204

    [event] = published_events("auth.user.deleted")
    assert event.key == str(client.user.id) and event.actor == str(client.user.id)
    assert event.data == {"id": str(client.user.id)}  # no personal data in the event

    user = User.objects.get(id=client.user.id)
    assert user.deleted_at is not None and not user.is_active
    assert user.username == f"deleted-{user.id.hex}" and user.display_name == ""
    assert "ada" not in user.email and not user.has_usable_password()
    # Its tokens are refused here at once, whichever session.
    for device in (client, laptop):
        response = device.get(ME)
        assert response.status_code == 401
        assert response.json()["code"] == "user_deleted"
    refreshed = api_client.post(
        "/api/auth/token/refresh/", {"refresh": client.tokens.refresh}, format="json"
    )
    assert refreshed.json()["code"] == "user_deleted"
    invalidate_restrictions()
    assert client.get("/api/auth/whoami").json()["code"] == "user_deleted"
    assert UserRef.objects.get(id=user.id).is_deleted
    # It can no longer log in, by name or by email.
    for name in ("ada", "ada@example.com"):
        response = login(name, PASSWORD)
        assert response.status_code == 401 and response.json()["code"] == "invalid_credentials"
    # The name and address are free again.
    assert services.register_user(username="ada", email="ada@example.com", password=NEW)


@pytest.mark.parametrize(
    ("payload", "code"), [({"password": "wrong"}, "wrong_password"), ({}, "required")]
)
def test_deletion_needs_the_password(signed_in, published_events, payload, code):
    client = signed_in()
    response = client.post(DELETE, payload, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["password"][0]["code"] == code
    assert published_events() == []
    assert client.get(ME).status_code == 200


def test_deletion_needs_a_token():
    assert APIClient().post(DELETE, {"password": PASSWORD}, format="json").status_code == 401
