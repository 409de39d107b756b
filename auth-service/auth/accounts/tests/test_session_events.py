"""`auth.session.revoked`: every way a session ends is announced, so the services that hold
something of a session (notifications' websockets) end it too. `all_sessions` says the account
itself changed (password, ban, deletion, deactivation): every socket of it closes, the one of
the session the change was made in too."""

from __future__ import annotations

import pytest

from auth.accounts.models import Session
from auth.accounts.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGOUT = "/api/auth/logout/"
SESSIONS = "/api/auth/sessions/"
CHANGE = "/api/auth/password/change/"
REFRESH = "/api/auth/token/refresh/"
NEW = "a-brand-new-Passphrase-7"


def revoked(published_events) -> list[dict]:
    events = published_events("auth.session.")
    assert all(e.type == "auth.session.revoked" and e.key == e.data["user_id"] for e in events)
    return [e.data for e in events]


def test_logout_announces_its_session(signed_in, published_events):
    phone = signed_in()
    signed_in(phone.user)  # another session: not named
    assert phone.post(LOGOUT).status_code == 204
    assert revoked(published_events) == [
        {
            "user_id": str(phone.user.id),
            "session_ids": [str(phone.tokens.session_id)],
            "reason": "logout",
            "all_sessions": False,
        }
    ]
    phone.post(LOGOUT)  # an ended session is not announced twice
    assert len(revoked(published_events)) == 1


def test_revoking_one_or_the_other_sessions_names_them(signed_in, published_events):
    phone = signed_in()
    laptop, tablet = signed_in(phone.user), signed_in(phone.user)
    assert phone.delete(f"{SESSIONS}{laptop.tokens.session_id}/").status_code == 204
    assert phone.post(f"{SESSIONS}revoke-others/").json() == {"revoked": 1}
    first, second = revoked(published_events)
    assert (first["session_ids"], first["reason"]) == ([str(laptop.tokens.session_id)], "revoked")
    assert (second["session_ids"], second["reason"]) == (
        [str(tablet.tokens.session_id)],
        "others_revoked",
    )
    assert not first["all_sessions"] and not second["all_sessions"]


def test_a_reused_refresh_token_announces_the_session(signed_in, published_events):
    client = signed_in()
    spent = client.tokens.refresh
    assert client.post(REFRESH, {"refresh": spent}, format="json").status_code == 200
    Session.objects.filter(id=client.tokens.session_id).update(rotated_at=None)  # past grace
    assert client.post(REFRESH, {"refresh": spent}, format="json").status_code == 401
    [event] = revoked(published_events)
    assert event["session_ids"] == [str(client.tokens.session_id)]
    assert event["reason"] == "refresh_reused"


def test_a_password_change_ends_every_socket_even_without_other_sessions(
    signed_in, published_events
):
    client = signed_in()
    response = client.post(
        CHANGE, {"current_password": PASSWORD, "new_password": NEW}, format="json"
    )
    assert response.json() == {"revoked": 0}
    [event] = revoked(published_events)
    assert event == {
        "user_id": str(client.user.id),
        "session_ids": [],
        "reason": "password_changed",
        "all_sessions": True,
    }


def test_a_ban_announces_every_session(signed_in, published_events):
    member = signed_in()
    other = signed_in(member.user)
    admin = signed_in(role="admin")
    response = admin.post(
        f"/api/auth/users/{member.user.id}/ban/",
        {"reason": "spam", "duration_seconds": 3600},
        format="json",
    )
    assert response.status_code == 200, response.json()
    [event] = revoked(published_events)
    assert event["session_ids"] == sorted(
        [str(member.tokens.session_id), str(other.tokens.session_id)]
    )
    assert (event["reason"], event["all_sessions"]) == ("banned", True)


def test_deactivating_in_django_admin_ends_the_sessions(
    client, signed_in, make_account, published_events
):
    member = signed_in()
    staff = make_account("staff", role="admin", is_staff=True, is_superuser=True)
    client.force_login(staff)
    url = f"/admin/auth/accounts/user/{member.user.id}/change/"
    page = client.get(url).context
    data = {
        name: value
        for name, value in page["adminform"].form.initial.items()
        if value is not None and name not in ("groups", "user_permissions", "password")
    }
    for inline in page["inline_admin_formsets"]:  # unchanged inlines: their management forms
        management = inline.formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
        for row in inline.formset.forms:
            data[row.add_prefix("id")] = row.instance.pk
    data.pop("is_active")  # an unticked box is absent from the form
    data["date_joined_0"] = member.user.date_joined.strftime("%Y-%m-%d")
    data["date_joined_1"] = member.user.date_joined.strftime("%H:%M:%S")
    response = client.post(url, data)
    assert response.status_code == 302, [
        response.context["adminform"].form.errors,
        [i.formset.errors for i in response.context["inline_admin_formsets"]],
    ]
    member.user.refresh_from_db()
    assert not member.user.is_active
    [event] = revoked(published_events)
    assert event["session_ids"] == [str(member.tokens.session_id)]
    assert (event["reason"], event["all_sessions"]) == ("deactivated", True)
    assert Session.objects.get(id=member.tokens.session_id).revoked_at is not None
    refused = member.get("/api/auth/me/")
    assert (refused.status_code, refused.json()["code"]) == (403, "user_inactive")
