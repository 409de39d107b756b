"""Changing the email: the current password, a notice with a way back to the old address, and
the end of the other sessions once the change is confirmed."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from auth.accounts import services
from auth.accounts.models import Session, User
from auth.accounts.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ME = "/api/auth/me/"
VERIFY = "/api/auth/email/verify/"
RESTORE = "/api/auth/email/restore/"


def link_token(message, path: str) -> str:
    found = re.search(rf"{path}\?lang=\w+&token=(\S+)", message.body)
    assert found, message.body
    return found[1]


def change_email(client, email: str, *, password: str | None = PASSWORD, on_commit=None):
    payload = {"email": email}
    if password is not None:
        payload["current_password"] = password
    if on_commit is None:
        return client.patch(ME, payload, format="json")
    with on_commit():
        return client.patch(ME, payload, format="json")


@pytest.mark.parametrize(
    ("password", "code"),
    [(None, "password_needed"), ("", "blank"), ("wrong-Password-1", "wrong_password")],
)
def test_a_new_email_needs_the_current_password(signed_in, on_commit, mailoutbox, password, code):
    client = signed_in()
    response = change_email(client, "thief@evil.example", password=password, on_commit=on_commit)
    assert response.status_code == 400, response.json()
    assert response.json()["fields"]["current_password"][0]["code"] == code
    user = User.objects.get(id=client.user.id)
    assert user.pending_email == "" and mailoutbox == []


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        ("en", "Your CoTask email address is being changed"),
        ("ru", "Адрес электронной почты вашего аккаунта CoTask меняется"),
        ("uk", "Адреса електронної пошти вашого облікового запису CoTask змінюється"),
    ],
)
def test_the_old_address_is_told_with_a_way_back(
    signed_in, on_commit, mailoutbox, language, subject
):
    client = signed_in(username="ada", language=language)
    assert change_email(client, "ada@new.example", on_commit=on_commit).status_code == 200
    verification, notice = mailoutbox
    assert verification.to == ["ada@new.example"]
    assert notice.to == ["ada@example.com"] and notice.subject == subject
    assert "ada@new.example" in notice.body
    assert f"http://127.0.0.1:8080/restore-email?lang={language}&token=" in notice.body


def test_confirming_the_change_ends_the_other_sessions(signed_in, on_commit, mailoutbox):
    client = signed_in()
    other = signed_in(client.user)
    change_email(client, "new@example.com", on_commit=on_commit)
    assert other.get(ME).status_code == 200  # nothing ends before the confirmation
    response = APIClient().post(VERIFY, {"token": link_token(mailoutbox[0], "verify-email")})
    assert response.status_code == 200, response.json()
    assert client.get(ME).json()["email"] == "new@example.com"
    assert other.get(ME).json()["code"] == "session_revoked"
    assert Session.objects.get(id=other.tokens.session_id).revoke_reason == "email_changed"


def test_the_way_back_restores_the_address_and_ends_everything(
    signed_in, on_commit, mailoutbox, published_events
):
    owner = signed_in(username="ada")
    intruder = signed_in(owner.user)  # knows the password
    change_email(intruder, "ada@evil.example", on_commit=on_commit)
    verification, notice = mailoutbox
    APIClient().post(VERIFY, {"token": link_token(verification, "verify-email")})
    assert User.objects.get(id=owner.user.id).email == "ada@evil.example"

    with on_commit():
        response = APIClient().post(RESTORE, {"token": link_token(notice, "restore-email")})
    assert response.status_code == 204, response.content
    user = User.objects.get(id=owner.user.id)
    assert (user.email, user.email_verified, user.pending_email) == ("ada@example.com", True, "")
    # Every session ends, and the password the intruder knew stops working.
    assert intruder.get(ME).status_code == 401
    assert not Session.objects.filter(user=user, revoked_at=None).exists()
    assert not user.has_usable_password()
    with pytest.raises(Exception, match="wrong"):
        services.login(login="ada", password=PASSWORD)
    # The owner gets a reset link at the restored address; other services learn the address.
    assert mailoutbox[-1].to == ["ada@example.com"]
    assert "/reset-password?lang=en&token=" in mailoutbox[-1].body
    assert published_events("auth.user.updated")[-1].data["email"] == "ada@example.com"
    # The link is spent.
    again = APIClient().post(RESTORE, {"token": link_token(notice, "restore-email")})
    assert again.status_code == 400
    assert again.json()["fields"]["token"][0]["code"] == "token_invalid"


def test_the_way_back_before_confirmation_drops_the_pending_change(
    signed_in, on_commit, mailoutbox
):
    client = signed_in()
    change_email(client, "new@evil.example", on_commit=on_commit)
    verification, notice = mailoutbox
    assert (
        APIClient().post(RESTORE, {"token": link_token(notice, "restore-email")}).status_code == 204
    )
    response = APIClient().post(VERIFY, {"token": link_token(verification, "verify-email")})
    assert response.status_code == 400
    assert User.objects.get(id=client.user.id).email == client.user.email


def test_an_intruder_changing_twice_cannot_spend_the_way_back(signed_in, on_commit, mailoutbox):
    intruder = signed_in(username="ada")
    change_email(intruder, "one@evil.example", on_commit=on_commit)
    verification, notice_to_owner = mailoutbox
    APIClient().post(VERIFY, {"token": link_token(verification, "verify-email")})
    mailoutbox.clear()
    change_email(intruder, "two@evil.example", on_commit=on_commit)
    verification, _notice_to_intruder = mailoutbox
    APIClient().post(VERIFY, {"token": link_token(verification, "verify-email")})
    response = APIClient().post(RESTORE, {"token": link_token(notice_to_owner, "restore-email")})
    assert response.status_code == 204
    assert User.objects.get(id=intruder.user.id).email == "ada@example.com"


def test_a_forged_way_back_link_is_refused():
    response = APIClient().post(RESTORE, {"token": "forged"})
    assert response.status_code == 400
    assert response.json()["fields"]["token"][0]["code"] == "token_invalid"
