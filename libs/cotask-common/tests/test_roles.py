"""The one account-role type and its helpers (`cotask_common.roles`), and the DRF permission
classes built on them."""

from __future__ import annotations

import uuid
from typing import get_args

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from cotask_common.contracts import fields
from cotask_common.roles import (
    Role,
    RoleName,
    at_least,
    can_moderate,
    is_admin,
    outranks,
    rank,
    role_of,
    roles_at_least,
)
from cotask_common.security.permissions import HasRole, IsAdmin, IsModerator
from cotask_common.security.tokens import TokenError, TokenUser, user_from_claims


def token_user(role: str) -> TokenUser:
    return TokenUser(
        id=uuid.uuid4(),
        username="ada",
        role=Role(role),
        email_verified=True,
        session_id=None,
    )


def test_the_wire_names_are_the_enum_values():
    assert get_args(RoleName) == tuple(Role) == ("user", "moderator", "admin")
    assert fields.Role is RoleName  # the event declarations use the same names
    assert Role.choices() == [("user", "User"), ("moderator", "Moderator"), ("admin", "Admin")]
    assert Role.ADMIN == "admin" and f"{Role.MODERATOR}" == "moderator"


def test_ranks_order_the_roles_and_an_unknown_role_ranks_as_a_user():
    assert rank("user") < rank("moderator") < rank("admin")
    assert rank("superuser") == rank(None) == rank("") == rank("user")
    assert Role.parse("root") is Role.USER and Role.parse("admin") is Role.ADMIN
    assert roles_at_least(Role.MODERATOR) == (Role.MODERATOR, Role.ADMIN)
    assert roles_at_least(Role.USER) == tuple(Role)


@pytest.mark.parametrize(
    ("actor", "target", "expected"),
    [
        ("admin", "moderator", True),
        ("admin", "user", True),
        ("moderator", "user", True),
        ("admin", "admin", False),
        ("moderator", "moderator", False),
        ("moderator", "admin", False),
        ("user", "user", False),
        ("user", "moderator", False),
        ("nonsense", "user", False),  # an unknown role is a user's, never more
        ("moderator", "nonsense", True),
        ("moderator", None, True),  # an owner the projection does not know yet
    ],
)
def test_outranks_is_the_rank_rule_of_moderation(actor, target, expected):
    assert outranks(actor_role=actor, target_role=target) is expected


@pytest.mark.parametrize(
    ("role", "minimum", "expected"),
    [
        ("user", Role.USER, True),
        ("user", Role.MODERATOR, False),
        ("moderator", Role.MODERATOR, True),
        ("admin", Role.MODERATOR, True),
        ("moderator", Role.ADMIN, False),
        ("admin", Role.ADMIN, True),
        ("nonsense", Role.MODERATOR, False),
        (None, Role.USER, True),
    ],
)
def test_at_least(role, minimum, expected):
    assert at_least(role, minimum) is expected


def test_the_role_of_a_caller():
    assert role_of(None) is None
    assert role_of(AnonymousUser()) is None
    assert role_of(token_user("moderator")) is Role.MODERATOR
    # A projection row or an object with a role it does not know: a user, not more.
    assert role_of(type("Ref", (), {"role": "owner"})()) is Role.USER
    assert [can_moderate(token_user(r)) for r in Role] == [False, True, True]
    assert [is_admin(token_user(r)) for r in Role] == [False, False, True]
    assert not can_moderate(None) and not can_moderate(AnonymousUser()) and not is_admin(None)
    assert token_user("admin").is_moderator and not token_user("moderator").is_admin


def test_a_token_carries_a_role_of_the_type_or_is_refused():
    user = user_from_claims({"sub": str(uuid.uuid4()), "role": "moderator"})
    assert user.role is Role.MODERATOR
    assert user_from_claims({"sub": str(uuid.uuid4())}).role is Role.USER
    with pytest.raises(TokenError) as caught:
        user_from_claims({"sub": str(uuid.uuid4()), "role": "owner"})
    assert caught.value.code == "token_malformed"


def _request(user):
    request = Request(APIRequestFactory().get("/"))
    request.user = user
    return request


@pytest.mark.parametrize(
    ("permission", "allowed"),
    [
        (HasRole, {"user", "moderator", "admin"}),
        (IsModerator, {"moderator", "admin"}),
        (IsAdmin, {"admin"}),
    ],
)
def test_the_role_permission_classes(permission, allowed):
    for role in Role:
        assert permission().has_permission(_request(token_user(role)), None) is (role in allowed)
    assert permission().has_permission(_request(AnonymousUser()), None) is False


def test_a_refused_role_permission_names_the_role():
    permission = IsModerator()
    assert not permission.has_permission(_request(token_user("user")), None)
    assert str(permission.message) == "This needs the moderator role."
