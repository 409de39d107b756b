"""Moderator and admin endpoints: users, roles, bans; and what a ban does to the account."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from auth.accounts import services
from auth.accounts.models import Ban, Session, User
from auth.accounts.tests.conftest import PASSWORD
from cotask_common.users.models import UserRef
from cotask_common.users.selectors import invalidate_restrictions

pytestmark = pytest.mark.django_db

USERS = "/api/auth/users/"
LOGIN = "/api/auth/login/"
ME = "/api/auth/me/"


def ban(client, user, **payload):
    payload.setdefault("reason", "spam")
    return client.post(f"{USERS}{user.id}/ban/", payload, format="json")


@pytest.fixture
def moderator(signed_in):
    return signed_in(role="moderator", username="mod")


@pytest.fixture
def admin(signed_in):
    return signed_in(role="admin", username="boss")


@pytest.fixture
def member(signed_in):
    return signed_in(username="member")


@pytest.fixture
def banned_moderator(signed_in):
    client = signed_in(role="moderator", username="badmod")
    User.objects.filter(id=client.user.id).update(
        is_banned=True, banned_until=timezone.now() + timedelta(days=1), ban_reason="abuse"
    )
    return client


# --- who may call what


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("get", "", None),
        ("get", "{id}/", None),
        ("post", "{id}/role/", {"role": "moderator"}),
        ("post", "{id}/ban/", {"reason": "x", "duration_seconds": 3600}),
        ("post", "{id}/unban/", None),
    ],
)
def test_anonymous_members_and_banned_staff_are_refused(
    api_client, member, banned_moderator, make_account, method, path, payload
):
    target = make_account()
    url = USERS + path.format(id=target.id)
    response = getattr(api_client, method)(url, payload, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    response = getattr(member, method)(url, payload, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    response = getattr(banned_moderator, method)(url, payload, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "user_banned"


def test_moderators_may_not_change_roles(moderator, make_account):
    target = make_account()
    response = moderator.post(f"{USERS}{target.id}/role/", {"role": "moderator"}, format="json")
    assert response.status_code == 403
    assert response.json()["message"] == "This needs the admin role."


# --- listing and searching


def test_list_and_search_users(moderator, make_account):
    ada = make_account("ada", display_name="Ada Lovelace")
    make_account("grace", email="grace@navy.example")
    make_account("linus", role="moderator")
    make_account("gone", deleted_at=timezone.now())
    body = moderator.get(USERS).json()
    assert {row["username"] for row in body["results"]} == {"ada", "grace", "linus", "mod"}
    row = next(row for row in body["results"] if row["username"] == "ada")
    assert row["id"] == str(ada.id) and row["display_name"] == "Ada Lovelace"
    assert row["is_banned"] is False and row["deleted"] is False

    def names(**params):
        response = moderator.get(USERS, params)
        assert response.status_code == 200, response.json()
        return {row["username"] for row in response.json()["results"]}

    assert names(q="LOVE") == {"ada"}
    assert names(q="navy.example") == {"grace"}
    assert names(q=str(ada.id)) == {"ada"}
    assert names(role="moderator") == {"linus", "mod"}
    assert names(include_deleted="true", q="gone") == {"gone"}
    User.objects.filter(id=ada.id).update(is_banned=True)
    assert names(banned="true") == {"ada"}
    assert "ada" not in names(banned="false")


def test_search_input_is_validated(moderator):
    response = moderator.get(USERS, {"role": "king"})
    assert response.status_code == 400
    assert response.json()["fields"]["role"][0]["code"] == "invalid_choice"


def test_user_list_query_count_does_not_grow_with_the_page(
    admin, make_account, django_assert_max_num_queries
):
    for _ in range(40):
        make_account()
    for size in (3, 40):
        with django_assert_max_num_queries(2):  # the caller's session (+user), the page
            response = admin.get(USERS, {"page_size": size})
        assert len(response.json()["results"]) == size
    next_page = admin.get(USERS, {"page_size": 20}).json()["next"]
    assert next_page and len(admin.get(next_page).json()["results"]) == 20


def test_view_one_user_with_ban_history(moderator, make_account, django_assert_max_num_queries):
    target = make_account()
    services.ban_user(
        actor=moderator.user,
        user_id=target.id,
        reason="first",
        until=timezone.now() + timedelta(days=1),
    )
    services.unban_user(actor=moderator.user, user_id=target.id)
    services.login(login=target.username, password=PASSWORD)
    with django_assert_max_num_queries(3):
        response = moderator.get(f"{USERS}{target.id}/")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == target.username and body["active_sessions"] == 1
    [record] = body["bans"]
    assert record["reason"] == "first" and record["end_reason"] == "lifted"
    assert record["issued_by"] == str(moderator.user.id)


def test_view_unknown_user_is_404(moderator):
    response = moderator.get(f"{USERS}{uuid.uuid4()}/")
    assert response.status_code == 404
    assert response.json()["code"] == "user_not_found"
    assert moderator.get(f"{USERS}not-a-uuid/").status_code == 404


# --- roles


def test_admin_changes_a_role_and_it_is_announced(admin, member, published_events):
    response = admin.post(f"{USERS}{member.user.id}/role/", {"role": "moderator"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["role"] == "moderator"
    [event] = published_events("auth.user.role_changed")
    assert event.key == str(member.user.id) and event.actor == str(admin.user.id)
    assert event.data["role"] == "moderator" and event.data["previous_role"] == "user"
    assert event.data["username"] == "member"
    # auth itself knows at once: the member's old token now has moderator powers here.
    assert member.get(USERS).status_code == 200
    assert UserRef.objects.get(id=member.user.id).role == "moderator"
    # Same role again: nothing to announce.
    admin.post(f"{USERS}{member.user.id}/role/", {"role": "moderator"}, format="json")
    assert len(published_events("auth.user.role_changed")) == 1


def test_demotion_takes_effect_in_auth_at_once(admin, moderator, make_account):
    admin.post(f"{USERS}{moderator.user.id}/role/", {"role": "user"}, format="json")
    assert moderator.get(USERS).status_code == 403


@pytest.mark.parametrize(
    ("target", "payload", "status", "code", "field"),
    [
        ("self", {"role": "user"}, 403, "own_role", "role"),
        ("unknown", {"role": "user"}, 404, "user_not_found", None),
        ("member", {"role": "king"}, 400, "invalid_choice", "role"),
        ("member", {}, 400, "required", "role"),
    ],
)
def test_role_change_errors(admin, member, published_events, target, payload, status, code, field):
    target_id = {"self": admin.user.id, "unknown": uuid.uuid4(), "member": member.user.id}[target]
    response = admin.post(f"{USERS}{target_id}/role/", payload, format="json")
    assert response.status_code == status
    body = response.json()
    if field:
        assert body["fields"][field][0]["code"] == code
    else:
        assert body["code"] == code
    assert published_events("auth.user.role_changed") == []


# --- bans


def test_a_moderator_bans_for_a_week(moderator, member, published_events, api_client):
    response = ban(moderator, member.user, duration_seconds=7 * 86400, reason="spam links")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["is_banned"] is True and body["ban_reason"] == "spam links"
    until = parse_datetime(body["banned_until"])
    assert abs((until - timezone.now()) - timedelta(days=7)) < timedelta(seconds=5)

    [event] = published_events("auth.user.banned")
    assert event.key == str(member.user.id) and event.actor == str(moderator.user.id)
    assert event.data["reason"] == "spam links"
    assert parse_datetime(event.data["until"]) == until
    assert {"username", "display_name", "role", "email_verified"} <= set(event.data)

    # Refused in auth at once: the still-valid access token, the refresh token, whoami.
    response = member.get(ME)
    assert response.status_code == 403 and response.json()["code"] == "user_banned"
    assert "spam links" in response.json()["message"]
    refreshed = api_client.post(
        "/api/auth/token/refresh/", {"refresh": member.tokens.refresh}, format="json"
    )
    assert refreshed.status_code == 403 and refreshed.json()["code"] == "user_banned"
    invalidate_restrictions()
    assert member.get("/api/auth/whoami").json()["code"] == "user_banned"
    assert Session.objects.get(id=member.tokens.session_id).revoke_reason == "banned"
    # And logging in says why and until when.
    response = api_client.post(LOGIN, {"login": "member", "password": PASSWORD}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "user_banned"
    assert "spam links" in response.json()["message"]
    assert "(UTC)" in response.json()["message"]  # the end, in the account's zone
    # Wrong password on a banned account: the generic answer, nothing learned.
    response = api_client.post(LOGIN, {"login": "member", "password": "nope-nope"}, format="json")
    assert response.json()["code"] == "invalid_credentials"


def test_the_ban_message_speaks_the_users_language(admin, make_account, api_client):
    target = make_account(language="ru")
    ban(admin, target, permanent=True, reason="спам")
    response = api_client.post(
        LOGIN, {"login": target.username, "password": PASSWORD}, format="json"
    )
    assert response.json()["message"] == "Эта учётная запись заблокирована навсегда. Причина: спам"


def test_the_ban_end_is_told_in_the_users_zone_and_language(admin, make_account, api_client):
    target = make_account(language="uk", time_zone="Europe/Kyiv")
    response = ban(admin, target, until="2099-06-01T09:30:00Z", reason="спам")
    assert response.status_code == 200, response.json()
    message = api_client.post(
        LOGIN, {"login": target.username, "password": PASSWORD}, format="json"
    ).json()["message"]
    # 09:30 UTC is 12:30 in Kyiv (summer time), in Ukrainian words and order.
    assert message == (
        "Цей обліковий запис заблоковано до 01 червня 2099 р. 12:30 (Europe/Kyiv). Причина: спам"
    )


@pytest.mark.parametrize(
    ("payload", "status", "code", "field"),
    [
        ({"duration_seconds": 31 * 86400}, 403, "ban_too_long", "until"),
        ({"until": "2999-01-01T00:00:00Z"}, 403, "ban_too_long", "until"),
        ({"permanent": True}, 403, "permanent_ban_admin_only", "permanent"),
        ({}, 400, "ban_length_required", "duration_seconds"),
        (
            {"duration_seconds": 3600, "permanent": True},
            400,
            "ban_length_required",
            "duration_seconds",
        ),
        ({"duration_seconds": 10}, 400, "min_value", "duration_seconds"),
        ({"until": "2000-01-01T00:00:00Z"}, 400, "in_past", "until"),
        ({"duration_seconds": 3600, "reason": ""}, 400, "blank", "reason"),
    ],
)
def test_moderator_ban_limits_and_input_errors(
    moderator, member, published_events, payload, status, code, field
):
    response = ban(moderator, member.user, **payload)
    assert response.status_code == status, response.json()
    assert response.json()["fields"][field][0]["code"] == code
    assert published_events("auth.user.banned") == []
    assert member.get(ME).status_code == 200


def test_a_moderator_may_ban_for_exactly_thirty_days(moderator, member):
    assert ban(moderator, member.user, duration_seconds=30 * 86400).status_code == 200


def test_an_admin_bans_permanently_and_for_long(admin, member, make_account, published_events):
    response = ban(admin, member.user, permanent=True, reason="fraud")
    assert response.status_code == 200
    assert response.json()["banned_until"] is None
    assert published_events("auth.user.banned")[0].data["until"] is None
    other = make_account()
    assert ban(admin, other, duration_seconds=365 * 86400).status_code == 200


@pytest.mark.parametrize(
    ("actor", "target", "code"),
    [
        ("moderator", "moderator2", "role_too_high"),
        ("moderator", "admin", "role_too_high"),
        ("admin", "admin2", "role_too_high"),
        ("moderator", "self", "own_account"),
    ],
)
def test_who_may_ban_whom(signed_in, make_account, actor, target, code):
    actors = {"moderator": signed_in(role="moderator"), "admin": signed_in(role="admin")}
    client = actors[actor]
    targets = {
        "moderator2": make_account(role="moderator"),
        "admin": make_account(role="admin"),
        "admin2": make_account(role="admin"),
        "self": client.user,
    }
    response = ban(client, targets[target], duration_seconds=3600)
    assert response.status_code == 403
    assert response.json()["code"] == code
    response = client.post(f"{USERS}{targets[target].id}/unban/")
    assert response.status_code == 403


def test_an_admin_may_ban_a_moderator(admin, moderator):
    assert ban(admin, moderator.user, duration_seconds=3600).status_code == 200
    assert moderator.get(USERS).json()["code"] == "user_banned"


def test_ban_unknown_or_deleted_user_is_404(moderator, make_account):
    gone = make_account(deleted_at=timezone.now())
    for user_id in (uuid.uuid4(), gone.id):
        response = moderator.post(
            f"{USERS}{user_id}/ban/", {"reason": "x", "duration_seconds": 3600}, format="json"
        )
        assert response.status_code == 404
        assert response.json()["code"] == "user_not_found"


def test_a_new_ban_replaces_the_current_one(moderator, admin, member, published_events):
    ban(moderator, member.user, duration_seconds=3600)
    ban(admin, member.user, permanent=True, reason="worse")
    history = list(Ban.objects.filter(user=member.user).order_by("created_at"))
    assert [b.end_reason for b in history] == ["replaced", ""]
    assert len(published_events("auth.user.banned")) == 2
    # A moderator may neither shorten nor lift an admin's permanent ban.
    response = ban(moderator, member.user, duration_seconds=3600)
    assert response.status_code == 403
    assert response.json()["code"] == "permanent_ban_admin_only"
    response = moderator.post(f"{USERS}{member.user.id}/unban/")
    assert response.status_code == 403
    assert response.json()["code"] == "permanent_ban_admin_only"


def test_unban_lets_the_user_log_in_again(moderator, member, published_events, api_client):
    ban(moderator, member.user, duration_seconds=3600)
    response = moderator.post(f"{USERS}{member.user.id}/unban/")
    assert response.status_code == 200
    assert response.json()["is_banned"] is False
    [event] = published_events("auth.user.unbanned")
    assert event.actor == str(moderator.user.id) and event.data["username"] == "member"
    assert not UserRef.objects.get(id=member.user.id).is_banned
    assert Ban.objects.get(user=member.user).end_reason == "lifted"
    # The old session stays ended; a new login works.
    assert member.get(ME).json()["code"] == "session_revoked"
    response = api_client.post(LOGIN, {"login": "member", "password": PASSWORD}, format="json")
    assert response.status_code == 200


def test_unban_of_someone_not_banned_is_a_conflict(moderator, member):
    response = moderator.post(f"{USERS}{member.user.id}/unban/")
    assert response.status_code == 409
    assert response.json()["code"] == "not_banned"


def test_expired_bans_end_by_themselves(moderator, member, published_events, api_client):
    from auth.accounts.tasks import end_expired_bans

    ban(moderator, member.user, duration_seconds=3600)
    later = timezone.now() + timedelta(hours=1, seconds=1)
    # At its end time a login works even before the periodic task ran.
    User.objects.filter(id=member.user.id).update(
        banned_until=timezone.now() - timedelta(seconds=1)
    )
    response = api_client.post(LOGIN, {"login": "member", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert services.end_expired_bans(now=later) == 1
    [event] = published_events("auth.user.unbanned")
    assert event.actor is None
    assert Ban.objects.get(user=member.user).end_reason == "expired"
    assert User.objects.get(id=member.user.id).is_banned is False
    assert end_expired_bans.delay().get() == 0  # the Celery task: nothing left


def test_a_permanent_ban_never_expires(admin, member):
    ban(admin, member.user, permanent=True)
    assert services.end_expired_bans(now=timezone.now() + timedelta(days=3650)) == 0
    assert User.objects.get(id=member.user.id).is_banned


def test_the_beat_schedule_ends_bans_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["auth-end-expired-bans"]
    assert entry == {"task": "auth.end_expired_bans", "schedule": 60.0}
    assert "cleanup-outbox" in settings.CELERY_BEAT_SCHEDULE


def test_a_banned_user_cannot_use_any_account_endpoint(moderator, member):
    ban(moderator, member.user, duration_seconds=3600)
    for method, path in (
        ("get", ME),
        ("patch", ME),
        ("get", "/api/auth/sessions/"),
        ("post", "/api/auth/logout/"),
        ("post", "/api/auth/password/change/"),
        ("post", "/api/auth/email/verify/resend/"),
        ("post", "/api/auth/me/delete/"),
        ("post", "/api/auth/sessions/revoke-others/"),
        ("delete", f"/api/auth/sessions/{member.tokens.session_id}/"),
    ):
        response = getattr(member, method)(path, {}, format="json")
        assert response.status_code == 403, path
        assert response.json()["code"] == "user_banned"


def test_unauthenticated_clients_get_401_with_bearer_challenge():
    response = APIClient().get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_first_admin_is_made_from_the_command_line(make_account, published_events):
    from io import StringIO

    from django.core.management import CommandError, call_command

    ada = make_account("ada")
    out = StringIO()
    call_command("set_role", "ADA", "admin", stdout=out)
    assert "ada is now admin" in out.getvalue()
    assert User.objects.get(id=ada.id).role == "admin"
    [event] = published_events("auth.user.role_changed")
    assert event.actor is None and event.data["role"] == "admin"
    with pytest.raises(CommandError):
        call_command("set_role", "nobody", "admin")
