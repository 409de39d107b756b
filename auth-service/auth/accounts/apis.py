"""Thin views: parse, call a service or selector, serialize."""

from __future__ import annotations

import ipaddress
from typing import Any
from uuid import UUID

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from auth.accounts import keys, selectors, services, throttles
from auth.accounts.authentication import AccountRequest, SessionJWTAuthentication
from auth.accounts.serializers import (
    AcceptedOutput,
    BanInput,
    EmailInput,
    LoginInput,
    MeOutput,
    MeUpdateInput,
    PasswordChangeInput,
    PasswordInput,
    PasswordResetConfirmInput,
    RefreshInput,
    RegisterInput,
    ResendOutput,
    RevokedOutput,
    RoleInput,
    SessionOutput,
    StaffUserDetailOutput,
    StaffUserOutput,
    TokenInput,
    TokenPairOutput,
    UserOutput,
    UserSearchInput,
)
from cotask_common.security.permissions import IsAdmin, IsModerator


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(description=f"{description} (the shared error format)")


# What a login or a refresh answers (shortened tokens), for the document's examples.
TOKEN_PAIR = {
    "access": "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiI1ZjBjMWU5YSJ9.c2lnbmF0dXJl",
    "refresh": "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzaWQiOiI4YzJkIn0.cmVmcmVzaA",
    "token_type": "Bearer",
    "expires_in": 900,
    "refresh_expires_in": 2592000,
    "session_id": "8c2d4e6f-1a3b-4c5d-9e7f-0a1b2c3d4e5f",
}
UNAUTHENTICATED = _error("No token, or its session or account no longer valid")
BANNED = _error("The account is banned (`user_banned`)")
THROTTLED = _error("Too many attempts (`throttled`); see the Retry-After header")
# The gateway limits these per client address before auth-service sees them (nginx: email links,
# token refresh), so they answer 429 though the view has no throttle of its own.
GATEWAY_LIMITED = _error(
    "Too many requests from this address (`rate_limited`, the gateway's limit)"
)


def _client(request: Request) -> dict[str, Any]:
    """The caller's user agent and address (behind the gateway: the address it saw)."""
    ident = BaseThrottle().get_ident(request)
    try:
        ip: str | None = str(ipaddress.ip_address(ident.strip()))
    except ValueError:
        ip = None
    return {"user_agent": request.META.get("HTTP_USER_AGENT", ""), "ip": ip}


def _tokens(pair: services.TokenPair) -> dict[str, Any]:
    data: dict[str, Any] = {
        "access": pair.access,
        "expires_in": pair.access_expires_in,
        "session_id": pair.session_id,
    }
    if pair.refresh is not None:
        data |= {"refresh": pair.refresh, "refresh_expires_in": pair.refresh_expires_in}
    return TokenPairOutput(data).data


def _valid(serializer_class: type, data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class AnonymousApi(throttles.NamedLimitThrottling, APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


class AccountApi(throttles.NamedLimitThrottling, APIView):
    """An endpoint of the signed-in account: its session is checked on every request."""

    authentication_classes = [SessionJWTAuthentication]
    permission_classes = [IsAuthenticated]


# --- registration and email verification


class RegisterApi(AnonymousApi):
    throttle_classes = [throttles.RegisterAddressThrottle, throttles.RegisterAccountThrottle]

    @extend_schema(
        summary="Register an account",
        operation_id="register",
        request=RegisterInput,
        examples=[
            OpenApiExample(
                "A new account",
                value={
                    "username": "ada_lovelace",
                    "email": "ada@example.com",
                    "password": "correct-horse-battery-staple",
                    "display_name": "Ada Lovelace",
                    "language": "en",
                    "time_zone": "Europe/London",
                },
                request_only=True,
            ),
            OpenApiExample(
                "The account, its email not verified yet",
                value={
                    "id": "5f0c1e9a-3b7d-4c2e-9a61-0d4f8b2c7e15",
                    "username": "ada_lovelace",
                    "email": "ada@example.com",
                    "display_name": "Ada Lovelace",
                    "role": "user",
                    "email_verified": False,
                },
                response_only=True,
                status_codes=["201"],
            ),
        ],
        responses={
            201: UserOutput,
            400: _error("A field is invalid"),
            409: _error("Username or email taken"),
            429: THROTTLED,
        },
    )
    def post(self, request: Request) -> Response:
        user = services.register_user(**_valid(RegisterInput, request.data))
        return Response(UserOutput(user).data, status=status.HTTP_201_CREATED)


class VerifyEmailApi(AnonymousApi):
    @extend_schema(
        summary="Verify an email address with the token from the email",
        operation_id="verify_email",
        request=TokenInput,
        responses={
            200: UserOutput,
            400: _error("The token is invalid or expired"),
            409: _error("The new address was taken meanwhile"),
            429: GATEWAY_LIMITED,
        },
    )
    def post(self, request: Request) -> Response:
        user = services.verify_email(**_valid(TokenInput, request.data))
        return Response(UserOutput(user).data)


class RestoreEmailApi(AnonymousApi):
    @extend_schema(
        summary="Undo an email change from the link sent to the old address",
        operation_id="restore_email",
        request=TokenInput,
        responses={
            204: None,
            400: _error("The token is invalid, expired or already used"),
            409: _error("Another account has the old address now"),
            429: GATEWAY_LIMITED,
        },
    )
    def post(self, request: Request) -> Response:
        services.restore_email(**_valid(TokenInput, request.data))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ResendVerificationApi(AccountApi):
    throttle_classes = [throttles.VerificationResendThrottle]

    @extend_schema(
        summary="Send the verification email again",
        operation_id="resend_verification",
        request=None,
        responses={
            202: ResendOutput,
            401: UNAUTHENTICATED,
            409: _error("Already verified"),
            429: THROTTLED,
        },
    )
    def post(self, request: AccountRequest) -> Response:
        sent_to = services.resend_verification(user=request.user)
        return Response({"sent_to": sent_to}, status=status.HTTP_202_ACCEPTED)


# --- tokens and sessions


class LoginApi(AnonymousApi):
    throttle_classes = [throttles.LoginAddressThrottle, throttles.LoginAccountThrottle]

    @extend_schema(
        summary="Log in: a new session and its access and refresh tokens",
        operation_id="login",
        request=LoginInput,
        examples=[
            OpenApiExample(
                "By username",
                value={"login": "ada_lovelace", "password": "correct-horse-battery-staple"},
                request_only=True,
            ),
            OpenApiExample(
                "By email",
                value={"login": "ada@example.com", "password": "correct-horse-battery-staple"},
                request_only=True,
            ),
            OpenApiExample("A new session", value=TOKEN_PAIR, response_only=True),
        ],
        responses={
            200: TokenPairOutput,
            401: _error("Wrong credentials (`invalid_credentials`)"),
            403: BANNED,
            429: THROTTLED,
        },
    )
    def post(self, request: Request) -> Response:
        pair = services.login(**_valid(LoginInput, request.data), **_client(request))
        return Response(_tokens(pair))


class RefreshApi(AnonymousApi):
    @extend_schema(
        summary="Exchange a refresh token for a new token pair",
        operation_id="refresh_tokens",
        request=RefreshInput,
        examples=[
            OpenApiExample(
                "The refresh token of the last pair",
                value={"refresh": TOKEN_PAIR["refresh"]},
                request_only=True,
            ),
            OpenApiExample(
                "The next pair, of the same session", value=TOKEN_PAIR, response_only=True
            ),
        ],
        responses={
            200: TokenPairOutput,
            401: _error(
                "Invalid or expired refresh token, ended session, or a reused refresh token "
                "(`refresh_token_reused`: the session is now revoked)"
            ),
            403: BANNED,
            429: GATEWAY_LIMITED,
        },
    )
    def post(self, request: Request) -> Response:
        pair = services.refresh_tokens(**_valid(RefreshInput, request.data), **_client(request))
        return Response(_tokens(pair))


class LogoutApi(AccountApi):
    @extend_schema(
        summary="Log out: end the current session",
        operation_id="logout",
        request=None,
        responses={204: None, 401: UNAUTHENTICATED},
    )
    def post(self, request: AccountRequest) -> Response:
        services.logout(session=request.auth.session)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionListApi(throttles.NamedLimitThrottling, generics.ListAPIView):
    authentication_classes = [SessionJWTAuthentication]
    permission_classes = [IsAuthenticated]
    serializer_class = SessionOutput
    request: AccountRequest

    @extend_schema(
        summary="My active sessions (devices)",
        operation_id="list_my_sessions",
        responses={200: SessionOutput(many=True)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        return selectors.active_sessions(user=self.request.user)

    def get_serializer_context(self) -> dict[str, Any]:
        return {
            **super().get_serializer_context(),
            "current_session_id": self.request.auth.session.id,
        }


class SessionDetailApi(AccountApi):
    @extend_schema(
        summary="End one of my sessions",
        operation_id="revoke_session",
        responses={204: None, 401: UNAUTHENTICATED, 404: _error("Not one of your sessions")},
    )
    def delete(self, request: AccountRequest, session_id: UUID) -> Response:
        services.revoke_session(user=request.user, session_id=session_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RevokeOtherSessionsApi(AccountApi):
    @extend_schema(
        summary="End all my sessions but this one",
        operation_id="revoke_other_sessions",
        request=None,
        responses={200: RevokedOutput, 401: UNAUTHENTICATED},
    )
    def post(self, request: AccountRequest) -> Response:
        revoked = services.revoke_other_sessions(
            user=request.user, current_session=request.auth.session
        )
        return Response({"revoked": revoked})


# --- passwords


class PasswordChangeApi(AccountApi):
    throttle_classes = [throttles.PasswordCheckAccountThrottle]

    @extend_schema(
        summary="Change my password",
        operation_id="change_password",
        request=PasswordChangeInput,
        responses={
            200: RevokedOutput,
            400: _error("Wrong current password or a weak new one"),
            401: UNAUTHENTICATED,
            429: THROTTLED,
        },
    )
    def post(self, request: AccountRequest) -> Response:
        revoked = services.change_password(
            user=request.user,
            current_session=request.auth.session,
            **_valid(PasswordChangeInput, request.data),
        )
        return Response({"revoked": revoked})


class PasswordResetApi(AnonymousApi):
    throttle_classes = [
        throttles.PasswordResetAddressThrottle,
        throttles.PasswordResetAccountThrottle,
    ]

    @extend_schema(
        summary="Ask for a password reset email",
        operation_id="request_password_reset",
        request=EmailInput,
        responses={202: AcceptedOutput, 400: _error("Not an email address"), 429: THROTTLED},
    )
    def post(self, request: Request) -> Response:
        services.request_password_reset(**_valid(EmailInput, request.data))
        # The same answer whether or not the address has an account.
        return Response(
            {"detail": _("If an account has this email address, a reset link is on its way.")},
            status=status.HTTP_202_ACCEPTED,
        )


class PasswordResetConfirmApi(AnonymousApi):
    throttle_classes = [throttles.PasswordResetConfirmAddressThrottle]

    @extend_schema(
        summary="Set a new password with the token from the reset email",
        operation_id="confirm_password_reset",
        request=PasswordResetConfirmInput,
        responses={
            204: None,
            400: _error("Invalid or expired token, or a weak password"),
            429: THROTTLED,
        },
    )
    def post(self, request: Request) -> Response:
        services.reset_password(**_valid(PasswordResetConfirmInput, request.data))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- me


class MeApi(AccountApi):
    throttle_classes = [throttles.ProfilePasswordCheckThrottle]

    @extend_schema(
        summary="My account", operation_id="me", responses={200: MeOutput, 401: UNAUTHENTICATED}
    )
    def get(self, request: AccountRequest) -> Response:
        return Response(MeOutput(request.user).data)

    @extend_schema(
        summary="Change my account's settings",
        description="A new `email` needs `current_password` (a 400 `password_needed` naming "
        "`current_password` without it, `wrong_password` when it is wrong).",
        operation_id="update_me",
        request=MeUpdateInput,
        responses={
            200: MeOutput,
            400: _error("A field is invalid, or `current_password` missing or wrong"),
            401: UNAUTHENTICATED,
            409: _error("The new email is taken"),
        },
    )
    def patch(self, request: AccountRequest) -> Response:
        user = services.update_profile(
            user=request.user,
            current_session=request.auth.session,
            **_valid(MeUpdateInput, request.data),
        )
        return Response(MeOutput(user).data)


class DeleteMeApi(AccountApi):
    throttle_classes = [throttles.PasswordCheckAccountThrottle]

    @extend_schema(
        summary="Delete my account (password required)",
        operation_id="delete_me",
        request=PasswordInput,
        responses={
            204: None,
            400: _error("Wrong password"),
            401: UNAUTHENTICATED,
            429: THROTTLED,
        },
    )
    def post(self, request: AccountRequest) -> Response:
        services.delete_account(user=request.user, **_valid(PasswordInput, request.data))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- moderation


class UserListApi(throttles.NamedLimitThrottling, generics.ListAPIView):
    authentication_classes = [SessionJWTAuthentication]
    permission_classes = [IsModerator]
    serializer_class = StaffUserOutput

    @extend_schema(
        summary="Search accounts (moderators and admins)",
        operation_id="list_users",
        parameters=[UserSearchInput],
        responses={
            200: StaffUserOutput(many=True),
            401: UNAUTHENTICATED,
            403: _error("Not a moderator"),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        return selectors.search_users(**_valid(UserSearchInput, self.request.query_params))


class UserDetailApi(AccountApi):
    permission_classes = [IsModerator]

    @extend_schema(
        summary="One account, as staff see it (moderators and admins)",
        operation_id="get_user",
        responses={
            200: StaffUserDetailOutput,
            401: UNAUTHENTICATED,
            403: _error("Not a moderator"),
            404: _error("No such account"),
        },
    )
    def get(self, request: Request, user_id: UUID) -> Response:
        return Response(StaffUserDetailOutput(selectors.user_for_staff(user_id=user_id)).data)


class UserRoleApi(AccountApi):
    permission_classes = [IsAdmin]

    @extend_schema(
        summary="Change an account's role (admins)",
        operation_id="change_user_role",
        request=RoleInput,
        responses={
            200: StaffUserOutput,
            400: _error("Not a role"),
            401: UNAUTHENTICATED,
            403: _error("Not an admin, or your own account"),
            404: _error("No such account"),
        },
    )
    def post(self, request: AccountRequest, user_id: UUID) -> Response:
        user = services.change_role(
            actor=request.user, user_id=user_id, **_valid(RoleInput, request.data)
        )
        return Response(StaffUserOutput(user).data)


class UserBanApi(AccountApi):
    permission_classes = [IsModerator]

    @extend_schema(
        summary="Ban an account (moderators and admins)",
        operation_id="ban_user",
        request=BanInput,
        responses={
            200: StaffUserOutput,
            400: _error("A field is invalid"),
            401: UNAUTHENTICATED,
            403: _error("Not allowed: a moderator's ban is at most 30 days and never permanent"),
            404: _error("No such account"),
        },
    )
    def post(self, request: AccountRequest, user_id: UUID) -> Response:
        data = _valid(BanInput, request.data)
        user = services.ban_user(
            actor=request.user, user_id=user_id, reason=data["reason"], until=data["until"]
        )
        return Response(StaffUserOutput(user).data)


class UserUnbanApi(AccountApi):
    permission_classes = [IsModerator]

    @extend_schema(
        summary="Lift an account's ban (moderators and admins)",
        operation_id="unban_user",
        request=None,
        responses={
            200: StaffUserOutput,
            401: UNAUTHENTICATED,
            403: _error("Not allowed (a permanent ban is lifted by admins only)"),
            404: _error("No such account"),
            409: _error("Not banned"),
        },
    )
    def post(self, request: AccountRequest, user_id: UUID) -> Response:
        user = services.unban_user(actor=request.user, user_id=user_id)
        return Response(StaffUserOutput(user).data)


@extend_schema(exclude=True)
@cache_control(public=True, max_age=300)
def jwks_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse(keys.jwks())
