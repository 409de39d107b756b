from django.urls import path

from auth.accounts import apis

urlpatterns = [
    path("register/", apis.RegisterApi.as_view(), name="register"),
    path("email/verify/", apis.VerifyEmailApi.as_view(), name="verify-email"),
    path("email/restore/", apis.RestoreEmailApi.as_view(), name="restore-email"),
    path("email/verify/resend/", apis.ResendVerificationApi.as_view(), name="resend-verification"),
    path("login/", apis.LoginApi.as_view(), name="login"),
    path("token/refresh/", apis.RefreshApi.as_view(), name="token-refresh"),
    path("logout/", apis.LogoutApi.as_view(), name="logout"),
    path("sessions/", apis.SessionListApi.as_view(), name="sessions"),
    path(
        "sessions/revoke-others/",
        apis.RevokeOtherSessionsApi.as_view(),
        name="sessions-revoke-others",
    ),
    path("sessions/<uuid:session_id>/", apis.SessionDetailApi.as_view(), name="session"),
    path("password/change/", apis.PasswordChangeApi.as_view(), name="password-change"),
    path("password/reset/", apis.PasswordResetApi.as_view(), name="password-reset"),
    path(
        "password/reset/confirm/",
        apis.PasswordResetConfirmApi.as_view(),
        name="password-reset-confirm",
    ),
    path("me/", apis.MeApi.as_view(), name="me"),
    path("me/delete/", apis.DeleteMeApi.as_view(), name="me-delete"),
    path("users/", apis.UserListApi.as_view(), name="users"),
    path("users/<uuid:user_id>/", apis.UserDetailApi.as_view(), name="user"),
    path("users/<uuid:user_id>/role/", apis.UserRoleApi.as_view(), name="user-role"),
    path("users/<uuid:user_id>/ban/", apis.UserBanApi.as_view(), name="user-ban"),
    path("users/<uuid:user_id>/unban/", apis.UserUnbanApi.as_view(), name="user-unban"),
    path(".well-known/jwks.json", apis.jwks_view, name="jwks"),
]
