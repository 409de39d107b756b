"""Refresh rotation with reuse detection, sessions, logout."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from auth.accounts import services
from auth.accounts.keys import current_signing_key
from auth.accounts.models import Session
from auth.accounts.tests.conftest import PASSWORD
from cotask_common.security.signing import encode_token, standard_claims

pytestmark = pytest.mark.django_db

REFRESH = "/api/auth/token/refresh/"
SESSIONS = "/api/auth/sessions/"
LOGOUT = "/api/auth/logout/"
ME = "/api/auth/me/"


def refresh(token, **extra):
    return APIClient().post(REFRESH, {"refresh": token}, format="json", **extra)


def bearer(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_refresh_rotates_the_pair_within_the_session(signed_in):
    client = signed_in()
    first = client.tokens
    response = refresh(first.refresh, HTTP_USER_AGENT="Safari/18")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["refresh"] != first.refresh and body["access"] != first.access
    assert body["session_id"] == str(first.session_id)
    session = Session.objects.get(id=first.session_id)
    assert session.rotations == 1
    assert session.user_agent == "Safari/18"
    assert bearer(body["access"]).get(ME).status_code == 200
    # And the new refresh token rotates again.
    assert refresh(body["refresh"]).status_code == 200


def test_refresh_reuse_revokes_the_whole_session(signed_in):
    client = signed_in()
    stolen = client.tokens.refresh
    rotated = refresh(stolen).json()  # the owner rotates; the thief still holds `stolen`
    other_device = signed_in(client.user)
    # Past the grace window for a second tab refreshing at the same moment.
    Session.objects.filter(id=client.tokens.session_id).update(
        rotated_at=timezone.now() - timedelta(seconds=31)
    )

    replay = refresh(stolen)
    assert replay.status_code == 401
    assert replay.json()["code"] == "refresh_token_reused"
    assert replay.json()["fields"]["refresh"][0]["code"] == "refresh_token_reused"
    session = Session.objects.get(id=client.tokens.session_id)
    assert session.revoked_at is not None
    assert session.revoke_reason == Session.RevokeReason.REFRESH_REUSED
    # Every token of that family is now dead: the newest refresh token and the access tokens.
    assert refresh(rotated["refresh"]).json()["code"] == "session_revoked"
    for access in (client.tokens.access, rotated["access"]):
        response = bearer(access).get(ME)
        assert response.status_code == 401
        assert response.json()["code"] == "session_revoked"
    # Other sessions of the same account are untouched.
    assert other_device.get(ME).status_code == 200
    assert refresh(other_device.tokens.refresh).status_code == 200


def test_two_tabs_refreshing_with_one_token_both_stay_signed_in(signed_in):
    client = signed_in()
    shared = client.tokens.refresh
    first_tab = refresh(shared).json()
    second_tab = refresh(shared)  # the same token, a moment later: not a leak
    assert second_tab.status_code == 200, second_tab.json()
    second = second_tab.json()
    session = Session.objects.get(id=client.tokens.session_id)
    assert session.revoked_at is None and session.rotations == 1
    # The second tab gets a fresh access token only: never the session's live refresh token
    # (a thief replaying the old one within the window must not obtain it).
    assert "refresh" not in second and "refresh_expires_in" not in second
    assert second["access"] != first_tab["access"]
    assert second["session_id"] == str(client.tokens.session_id)
    assert bearer(second["access"]).get(ME).status_code == 200
    from cotask_common.security.tokens import decode_token

    assert decode_token(first_tab["refresh"], expected_type="refresh")["jti"] == (
        session.refresh_jti
    )
    # The session did not change: the first tab's refresh token (which the second tab reads
    # from the shared storage) rotates on.
    assert Session.objects.get(id=session.id).refresh_jti == session.refresh_jti
    assert refresh(first_tab["refresh"]).status_code == 200


def test_grace_covers_only_the_last_rotation_and_only_briefly(signed_in, settings):
    client = signed_in()
    oldest = client.tokens.refresh
    middle = refresh(oldest).json()["refresh"]
    refresh(middle)
    # Two rotations back is a leak even within the window.
    assert refresh(oldest).json()["code"] == "refresh_token_reused"

    client = signed_in()
    settings.AUTH_REFRESH_REUSE_GRACE_SECONDS = 0
    token = client.tokens.refresh
    refresh(token)
    Session.objects.filter(id=client.tokens.session_id).update(
        rotated_at=timezone.now() - timedelta(seconds=1)
    )
    assert refresh(token).json()["code"] == "refresh_token_reused"


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("not-a-jwt", "token_malformed"),
        ("access", "token_wrong_type"),
        ("expired", "token_expired"),
        ("unknown_session", "session_revoked"),
        ("no_session", "token_malformed"),
    ],
)
def test_bad_refresh_tokens_are_refused_with_a_code(signed_in, token, code):
    client = signed_in()
    key = current_signing_key()

    def signed(**changes):
        claims = standard_claims(
            user_id=client.user.id,
            username=client.user.username,
            role="user",
            email_verified=True,
            session_id=str(client.tokens.session_id),
            token_type="refresh",
            lifetime=timedelta(days=1),
            issuer="cotask-auth",
            audience="cotask",
        )
        return encode_token({**claims, **changes}, private_key=key.private_key, kid=key.kid)

    now = int(timezone.now().timestamp())
    tokens = {
        "not-a-jwt": "not-a-jwt",
        "access": client.tokens.access,
        "expired": signed(iat=now - 100, nbf=now - 100, exp=now - 10),
        "unknown_session": signed(sid=str(uuid.uuid4())),
        "no_session": signed(sid=None),
    }
    response = refresh(tokens[token])
    assert response.status_code == 401
    assert response.json()["code"] == code
    assert "refresh" in response.json()["fields"]


def test_refresh_requires_the_field():
    response = APIClient().post(REFRESH, {}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["refresh"][0]["code"] == "required"


def test_an_expired_session_cannot_refresh(signed_in):
    client = signed_in()
    Session.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = refresh(client.tokens.refresh)
    assert response.status_code == 401
    assert response.json()["code"] == "session_expired"
    assert client.get(ME).json()["code"] == "session_revoked"


def test_logout_ends_the_current_session_only(signed_in):
    client = signed_in()
    laptop = signed_in(client.user)
    assert APIClient().post(LOGOUT).status_code == 401
    response = client.post(LOGOUT)
    assert response.status_code == 204
    assert client.get(ME).json()["code"] == "session_revoked"
    assert refresh(client.tokens.refresh).json()["code"] == "session_revoked"
    assert Session.objects.get(id=client.tokens.session_id).revoke_reason == "logout"
    assert laptop.get(ME).status_code == 200


def test_list_my_sessions(signed_in, make_account):
    phone = signed_in(user_agent="Phone")
    laptop = signed_in(phone.user, user_agent="Laptop")
    ended = signed_in(phone.user, user_agent="Old")
    ended.post(LOGOUT)
    signed_in(make_account(), user_agent="Someone else")
    response = phone.get(SESSIONS)
    assert response.status_code == 200
    body = response.json()
    assert {"next", "previous", "results"} <= set(body)
    rows = body["results"]
    assert [row["user_agent"] for row in rows] == ["Laptop", "Phone"]  # newest first
    assert [row["current"] for row in rows] == [False, True]
    assert rows[0]["id"] == str(laptop.tokens.session_id)
    assert set(rows[0]) == {
        "id",
        "user_agent",
        "ip",
        "created_at",
        "last_used_at",
        "expires_at",
        "current",
    }
    assert rows[0]["ip"] == "127.0.0.1" or rows[0]["ip"] is None


def test_session_list_query_count_does_not_grow_with_the_page(
    signed_in, django_assert_max_num_queries
):
    client = signed_in()
    for _ in range(30):
        services.login(login=client.user.username, password=PASSWORD)
    for size in (2, 30):
        with django_assert_max_num_queries(2):  # the caller's session (+user), the page
            response = client.get(SESSIONS, {"page_size": size})
        assert len(response.json()["results"]) == size


def test_sessions_need_a_token(api_client):
    assert api_client.get(SESSIONS).status_code == 401
    assert api_client.post(f"{SESSIONS}revoke-others/").status_code == 401
    assert api_client.delete(f"{SESSIONS}{uuid.uuid4()}/").status_code == 401


def test_revoke_one_of_my_sessions(signed_in):
    phone = signed_in()
    laptop = signed_in(phone.user)
    response = phone.delete(f"{SESSIONS}{laptop.tokens.session_id}/")
    assert response.status_code == 204
    assert laptop.get(ME).json()["code"] == "session_revoked"
    assert refresh(laptop.tokens.refresh).json()["code"] == "session_revoked"
    assert phone.get(ME).status_code == 200
    # Again: nothing left to do, still fine.
    assert phone.delete(f"{SESSIONS}{laptop.tokens.session_id}/").status_code == 204


def test_another_users_session_is_not_found(signed_in, make_account):
    mine = signed_in()
    theirs = signed_in(make_account())
    for session_id in (theirs.tokens.session_id, uuid.uuid4()):
        response = mine.delete(f"{SESSIONS}{session_id}/")
        assert response.status_code == 404
        assert response.json()["code"] == "session_not_found"
    assert theirs.get(ME).status_code == 200


def test_revoke_all_other_sessions(signed_in):
    phone = signed_in()
    others = [signed_in(phone.user) for _ in range(3)]
    response = phone.post(f"{SESSIONS}revoke-others/")
    assert response.status_code == 200
    assert response.json() == {"revoked": 3}
    assert phone.get(ME).status_code == 200
    for other in others:
        assert other.get(ME).json()["code"] == "session_revoked"
    assert phone.post(f"{SESSIONS}revoke-others/").json() == {"revoked": 0}


def test_a_token_whose_session_belongs_to_someone_else_is_refused(signed_in, make_account):
    mine = signed_in()
    theirs = signed_in(make_account())
    key = current_signing_key()
    claims = standard_claims(
        user_id=mine.user.id,
        username=mine.user.username,
        role="admin",
        email_verified=True,
        session_id=str(theirs.tokens.session_id),
        token_type="access",
        lifetime=timedelta(minutes=5),
        issuer="cotask-auth",
        audience="cotask",
    )
    forged = encode_token(claims, private_key=key.private_key, kid=key.kid)
    assert bearer(forged).get(ME).json()["code"] == "session_revoked"


def test_tokens_carry_the_saved_language_and_zone_and_a_change_shows_in_the_next(signed_in):
    """Every service answers in the saved language without asking auth: it is in the token,
    and a change takes effect with the next token."""
    from cotask_common.security.tokens import decode_token

    client = signed_in(language="ru", time_zone="Europe/Kyiv")
    claims = decode_token(client.tokens.access)
    assert (claims["lang"], claims["tz"]) == ("ru", "Europe/Kyiv")
    assert client.get("/api/auth/nothing-here").json()["message"] == "Здесь ничего нет."

    assert client.patch(ME, {"language": "uk"}, format="json").status_code == 200
    # The token in hand still says ru …
    assert client.get("/api/auth/nothing-here")["Content-Language"] == "ru"
    # … the next one says uk.
    renewed = refresh(client.tokens.refresh).json()
    assert decode_token(renewed["access"])["lang"] == "uk"
    answer = bearer(renewed["access"]).get("/api/auth/nothing-here", HTTP_ACCEPT_LANGUAGE="ru")
    assert (answer["Content-Language"], answer.json()["message"]) == ("uk", "Тут нічого немає.")
