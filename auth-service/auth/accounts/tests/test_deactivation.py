"""`is_active = false` (Django admin) acts like a ban everywhere: the toggle goes through the
service, which ends the sessions and announces it through the outbox, and every service refuses
the still-valid access token until the account is reactivated."""

from __future__ import annotations

import html
import re

import pytest
from rest_framework.test import APIClient

from auth.accounts import services
from auth.accounts.models import Session, User
from auth.accounts.tests.conftest import PASSWORD
from cotask_common.users.models import UserRef

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login/"
REFRESH = "/api/auth/token/refresh/"
WHOAMI = "/api/auth/whoami"  # the shared (kit) authentication, as in every other service
ME = "/api/auth/me/"


def change_form_data(page: bytes) -> dict[str, object]:
    """The change form as a browser would post it (inputs, checked boxes, selects)."""
    text = page.decode()
    form = text[text.index('id="user_form"') :]
    form = form[: form.index("</form>")]
    data: dict[str, object] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        kind = (re.search(r'type="([^"]+)"', tag) or [None, "text"])[1]
        value = html.unescape((re.search(r'value="([^"]*)"', tag) or [None, ""])[1])
        if kind == "checkbox":
            if "checked" in tag:
                data[name[1]] = "on"
        elif kind not in ("submit", "button"):
            data[name[1]] = value
    return data


def toggle_in_admin(client, user: User, *, active: bool):
    url = f"/admin/auth/accounts/user/{user.id}/change/"
    data = change_form_data(client.get(url).content)
    data.pop("is_active", None)
    if active:
        data["is_active"] = "on"
    return client.post(url, data)


@pytest.fixture
def staff(make_account, client):
    staff = make_account("staff", role="admin", is_staff=True, is_superuser=True)
    client.force_login(staff)
    return staff


def test_the_admin_checkbox_acts_like_a_ban_until_switched_back(
    client, staff, signed_in, published_events, on_commit
):
    member = signed_in(username="ada")
    with on_commit():  # the restriction snapshot is forgotten after the commit
        response = toggle_in_admin(client, member.user, active=False)
    assert response.status_code == 302, response.content[:3000]

    # Announced through the outbox (the same path as a ban), applied to the projection.
    [event] = published_events("auth.user.deactivated")
    assert event.actor == str(staff.id) and event.key == str(member.user.id)
    assert event.data["is_active"] is False and event.data["username"] == "ada"
    assert UserRef.objects.get(id=member.user.id).is_deactivated is True
    # Sessions end; the still-valid access token is refused by the shared authentication too.
    assert not Session.objects.filter(user=member.user, revoked_at=None).exists()
    whoami = APIClient()
    whoami.credentials(HTTP_AUTHORIZATION=f"Bearer {member.tokens.access}")
    assert whoami.get(WHOAMI).json()["code"] == "user_inactive"
    assert whoami.get(WHOAMI).status_code == 403
    assert member.get(ME).json()["code"] == "user_inactive"
    refreshed = APIClient().post(REFRESH, {"refresh": member.tokens.refresh}, format="json")
    assert (refreshed.status_code, refreshed.json()["code"]) == (403, "user_inactive")
    login = APIClient().post(LOGIN, {"login": "ada", "password": PASSWORD}, format="json")
    assert (login.status_code, login.json()["code"]) == (403, "user_inactive")

    with on_commit():
        response = toggle_in_admin(client, member.user, active=True)
    assert response.status_code == 302
    [event] = published_events("auth.user.reactivated")
    assert event.data["is_active"] is True
    assert UserRef.objects.get(id=member.user.id).is_deactivated is False
    login = APIClient().post(LOGIN, {"login": "ada", "password": PASSWORD}, format="json")
    assert login.status_code == 200
    again = APIClient()
    again.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")
    assert again.get(WHOAMI).status_code == 200


def test_a_bare_save_elsewhere_in_the_form_announces_nothing(
    client, staff, signed_in, published_events
):
    member = signed_in()
    url = f"/admin/auth/accounts/user/{member.user.id}/change/"
    data = change_form_data(client.get(url).content)
    assert client.post(url, data).status_code == 302
    assert published_events("auth.user.") == []
    assert User.objects.get(id=member.user.id).is_active


def test_admin_actions_deactivate_and_reactivate(client, staff, signed_in, published_events):
    member = signed_in()
    url = "/admin/auth/accounts/user/"
    client.post(url, {"action": "deactivate", "_selected_action": [member.user.id]})
    client.post(url, {"action": "reactivate", "_selected_action": [member.user.id]})
    types = [event.type for event in published_events("auth.user.")]
    assert types == ["auth.user.deactivated", "auth.user.reactivated"]


def test_staff_cannot_deactivate_themselves_or_a_higher_role(make_account):
    moderator = make_account("mod", role="moderator", is_staff=True)
    admin = make_account("boss", role="admin")
    with pytest.raises(Exception, match="yourself"):
        services.set_account_active(actor=moderator, user_id=moderator.id, active=False)
    with pytest.raises(Exception, match="lower role"):
        services.set_account_active(actor=moderator, user_id=admin.id, active=False)
    assert User.objects.get(id=admin.id).is_active
