"""Key rotation without logging anyone out; Argon2 cost; compiled translations; Django admin."""

from __future__ import annotations

import json
import shutil
import time
from io import StringIO
from pathlib import Path

import jwt
import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from auth.accounts import services
from auth.accounts.keys import current_signing_key, reset_key_cache
from auth.accounts.models import User
from auth.accounts.tests.conftest import PASSWORD
from cotask_common.security.signing import (
    encode_token,
    generate_private_key,
    key_id,
    private_key_to_pem,
    public_jwk,
)
from cotask_common.testing.translations import catalogue_problems

pytestmark = pytest.mark.django_db

ME = "/api/auth/me/"
JWKS = "/api/auth/.well-known/jwks.json"


@pytest.fixture
def key_files(tmp_path, settings):
    """Keys from configuration: a current key file and a folder of previous keys."""
    old, new = generate_private_key(), generate_private_key()
    (tmp_path / "old.pem").write_bytes(private_key_to_pem(old))
    (tmp_path / "new.pem").write_bytes(private_key_to_pem(new))
    (tmp_path / "previous").mkdir()
    settings.JWT_PRIVATE_KEY = ""
    settings.JWT_PRIVATE_KEY_FILE = str(tmp_path / "old.pem")
    settings.JWT_PREVIOUS_PUBLIC_KEYS = ""
    settings.JWT_PREVIOUS_PUBLIC_KEYS_DIR = str(tmp_path / "previous")
    reset_key_cache()
    return tmp_path, old, new


def rotate_to_new(tmp_path, settings):
    shutil.copy(tmp_path / "old.pem", tmp_path / "previous" / "old.pem")
    settings.JWT_PRIVATE_KEY_FILE = str(tmp_path / "new.pem")
    reset_key_cache()


def test_rotation_keeps_tokens_of_the_previous_key_working(key_files, settings, signed_in):
    tmp_path, old, new = key_files
    client = signed_in()
    assert current_signing_key().kid == key_id(old.public_key())
    rotate_to_new(tmp_path, settings)

    kids = [key["kid"] for key in APIClient().get(JWKS).json()["keys"]]
    assert kids == [key_id(new.public_key()), key_id(old.public_key())]  # current first
    # The old access and refresh tokens still work; what is issued now is signed with the new.
    assert client.get(ME).status_code == 200
    response = APIClient().post(
        "/api/auth/token/refresh/", {"refresh": client.tokens.refresh}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert jwt.get_unverified_header(response.json()["access"])["kid"] == key_id(new.public_key())

    # Once the old key is dropped, what it signs is refused.
    (tmp_path / "previous" / "old.pem").unlink()
    reset_key_cache()
    claims = jwt.decode(client.tokens.access, options={"verify_signature": False})
    late = encode_token(
        {**claims, "jti": "never-seen"}, private_key=old, kid=key_id(old.public_key())
    )
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {late}")
    assert client.get(ME).json()["code"] == "token_unknown_key"


def test_a_previous_key_removed_from_the_configuration_stops_verifying_on_schedule(
    key_files, settings, signed_in
):
    """No restart and no manual cache reset: auth re-reads its keys every
    COTASK_JWKS_REFRESH_SECONDS, like the other services' JWKS, and forgets verified tokens."""
    from cotask_common.security.keys import set_key_provider

    tmp_path, _old, _new = key_files
    client = signed_in()
    rotate_to_new(tmp_path, settings)
    settings.COTASK_JWKS_REFRESH_SECONDS = 1.5
    set_key_provider(None)
    assert client.get(ME).status_code == 200  # the old key's token, verified and cached
    (tmp_path / "previous" / "old.pem").unlink()
    time.sleep(1.6)
    assert client.get(ME).json()["code"] == "token_unknown_key"


def test_previous_keys_as_a_jwks_document(key_files, settings, signed_in):
    tmp_path, old, _new = key_files
    client = signed_in()
    settings.JWT_PRIVATE_KEY_FILE = str(tmp_path / "new.pem")
    # Whatever kid the document says, the thumbprint is what the old tokens carry.
    jwk = {**public_jwk(old.public_key(), "some-label")}
    settings.JWT_PREVIOUS_PUBLIC_KEYS = json.dumps({"keys": [jwk]})
    reset_key_cache()
    assert client.get(ME).status_code == 200
    assert len(APIClient().get(JWKS).json()["keys"]) == 2


def test_rotate_command_for_the_embedded_key(tmp_path, settings, signed_in):
    settings.JWT_PRIVATE_KEY = settings.JWT_PRIVATE_KEY_FILE = ""
    settings.JWT_PREVIOUS_PUBLIC_KEYS = settings.JWT_PREVIOUS_PUBLIC_KEYS_DIR = ""
    settings.COTASK_VAR_DIR = tmp_path
    reset_key_cache()
    client = signed_in()
    old_kid = current_signing_key().kid
    assert (tmp_path / "jwt" / "signing-key.pem").exists()
    call_command("rotate_signing_key", stdout=StringIO())
    assert (tmp_path / "jwt" / "previous" / f"{old_kid}.pem").exists()
    assert b"PRIVATE" not in (tmp_path / "jwt" / "previous" / f"{old_kid}.pem").read_bytes()
    assert current_signing_key().kid != old_kid
    assert client.get(ME).status_code == 200
    assert len(APIClient().get(JWKS).json()["keys"]) == 2


def test_rotate_command_refuses_configured_keys(key_files):
    with pytest.raises(CommandError):
        call_command("rotate_signing_key")


def test_passwords_are_hashed_with_the_configured_argon2_cost(settings, make_account):
    from config import settings as config

    assert (
        config.AUTH_ARGON2_TIME_COST,
        config.AUTH_ARGON2_MEMORY_COST_KIB,
        config.AUTH_ARGON2_PARALLELISM,
    ) == (2, 65536, 2)
    user = make_account()
    assert user.password.startswith("argon2$argon2id$v=19$m=1024,t=1,p=1$")
    # A cost change re-hashes at the next successful login.
    settings.AUTH_ARGON2_MEMORY_COST_KIB = 2048
    services.login(login=user.username, password=PASSWORD)
    user.refresh_from_db()
    assert "$m=2048,t=1,p=1$" in user.password


def test_the_catalogues_are_complete_and_compiled():
    locale = Path(__file__).resolve().parents[2] / "locale"
    assert catalogue_problems(locale) == []


def test_cleanup_forgets_long_ended_sessions(signed_in):
    from datetime import timedelta

    from django.utils import timezone

    from auth.accounts.models import Session
    from auth.accounts.tasks import cleanup_sessions

    client = signed_in()
    signed_in(client.user)
    Session.objects.filter(id=client.tokens.session_id).update(
        revoked_at=timezone.now() - timedelta(days=31)
    )
    assert cleanup_sessions.delay().get() == 1
    assert Session.objects.count() == 1


# --- Django admin


@pytest.fixture
def staff(make_account):
    return make_account("staff", role="admin", is_staff=True, is_superuser=True)


def test_staff_log_in_to_django_admin_with_their_account(client, staff):
    response = client.post(
        "/admin/auth/login/?next=/admin/auth/",
        {"username": "staff", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/admin/auth/accounts/user/").status_code == 200


def test_a_banned_staff_member_cannot_log_in_to_django_admin(client, staff):
    User.objects.filter(id=staff.id).update(is_banned=True)
    response = client.post("/admin/auth/login/", {"username": "staff", "password": PASSWORD})
    assert response.status_code == 200  # the form again, with an error
    assert client.get("/admin/auth/accounts/user/").status_code == 302


def test_admin_pages_render(client, staff, signed_in):
    member = signed_in()
    client.force_login(staff)
    for url in (
        "/admin/auth/accounts/user/",
        f"/admin/auth/accounts/user/{member.user.id}/change/",
        "/admin/auth/accounts/user/add/",
        "/admin/auth/accounts/session/",
        "/admin/auth/accounts/ban/",
    ):
        assert client.get(url).status_code == 200, url


def test_admin_actions_go_through_the_services(client, staff, signed_in, published_events):
    member = signed_in()
    client.force_login(staff)
    url = "/admin/auth/accounts/user/"
    client.post(url, {"action": "ban_for_seven_days", "_selected_action": [member.user.id]})
    assert member.get(ME).json()["code"] == "user_banned"
    client.post(url, {"action": "unban", "_selected_action": [member.user.id]})
    client.post(url, {"action": "make_moderator", "_selected_action": [member.user.id]})
    types = [event.type for event in published_events("auth.user.")]
    assert types == ["auth.user.banned", "auth.user.unbanned", "auth.user.role_changed"]


def test_an_account_added_in_django_admin_is_announced(client, staff, published_events):
    client.force_login(staff)
    response = client.post(
        "/admin/auth/accounts/user/add/",
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "password1": "Some-long-pass-42",
            "password2": "Some-long-pass-42",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    [event] = published_events("auth.user.registered")
    assert event.data["username"] == "newbie" and event.actor == str(staff.id)
    assert event.data["email"] == "newbie@example.com"
    assert User.objects.get(username="newbie").check_password("Some-long-pass-42")


def test_threads_creating_the_embedded_key_at_once_all_succeed_with_one_key(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from auth.accounts.keys import write_new_embedded_key

    path = tmp_path / "jwt" / "signing-key.pem"
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: write_new_embedded_key(path), range(16)))
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert [p.name for p in path.parent.iterdir()] == ["signing-key.pem"]
