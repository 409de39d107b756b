"""Django admin for staff, on the same accounts.

What other services must learn about (role, bans, deletion, verified email, profile fields
they project) is read-only here and changed only through actions that call the services, so
every change is announced as an event exactly as through the API. `is_active` stays a checkbox
(Django's own meaning), but saving a change of it calls `services.set_account_active`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from auth.accounts import services
from auth.accounts.models import Ban, Session, User
from cotask_common.errors import ServiceError
from cotask_common.roles import Role

PROJECTED = (
    "username",
    "email",
    "display_name",
    "role",
    "email_verified",
    "is_banned",
    "banned_until",
    "ban_reason",
    "deleted_at",
    "time_zone",
    "language",
)


class SessionInline(admin.TabularInline):
    model = Session
    extra = 0
    fields = ("id", "user_agent", "ip", "created_at", "last_used_at", "revoked_at", "revoke_reason")
    readonly_fields = fields
    can_delete = False
    ordering = ("-id",)
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class BanInline(admin.TabularInline):
    model = Ban
    fk_name = "user"
    extra = 0
    fields = ("reason", "until", "created_at", "issued_by", "ended_at", "ended_by", "end_reason")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _staff(request: HttpRequest) -> User:
    """The signed-in staff account acting in admin (admin lets no one else in)."""
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


def _run(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, action: Any
) -> None:
    actor = _staff(request)
    done = 0
    for user in queryset:
        try:
            action(actor, user)
            done += 1
        except ServiceError as exc:
            modeladmin.message_user(request, f"{user.username}: {exc.message}", messages.ERROR)
    if done:
        modeladmin.message_user(request, f"Done for {done} account(s).", messages.SUCCESS)


def _role_action(role: str) -> Any:
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        _run(
            modeladmin,
            request,
            queryset,
            lambda actor, user: services.change_role(actor=actor, user_id=user.id, role=role),
        )

    action.__name__ = f"make_{role}"
    action.short_description = f"Set role: {role}"  # type: ignore[attr-defined]
    return action


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = (
        "username",
        "email",
        "display_name",
        "role",
        "email_verified",
        "is_banned",
        "banned_until",
        "is_staff",
        "deleted_at",
    )
    list_filter = ("role", "email_verified", "is_banned", "is_staff", "is_active")
    search_fields = ("username", "email", "display_name", "=id")
    ordering = ("-date_joined",)
    readonly_fields = (*PROJECTED, "id", "pending_email", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("id", "username", "password")}),
        (
            "Profile",
            {"fields": ("email", "pending_email", "display_name", "time_zone", "language")},
        ),
        (
            "CoTask",
            {
                "fields": (
                    "role",
                    "email_verified",
                    "is_banned",
                    "banned_until",
                    "ban_reason",
                    "deleted_at",
                )
            },
        ),
        (
            "Django admin access",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "display_name", "password1", "password2"),
            },
        ),
    )
    inlines = [BanInline, SessionInline]
    actions = [
        "ban_for_seven_days",
        "unban",
        "deactivate",
        "reactivate",
        "revoke_all_sessions",
        _role_action(Role.USER),
        _role_action(Role.MODERATOR),
        _role_action(Role.ADMIN),
    ]

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list:
        return super().get_inline_instances(request, obj) if obj is not None else []

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Creating an account here needs its username; afterwards it is fixed like everywhere.
        if obj is None:
            return ()
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:  # a new account is announced like a registration
            services.create_account_by_staff(user=obj, actor=_staff(request))
            return
        active = obj.is_active
        toggled = "is_active" in form.changed_data
        if toggled:  # the checkbox goes through the service, which announces it
            obj.is_active = form.initial.get("is_active", not active)
        super().save_model(request, obj, form, change)
        if toggled:
            try:
                services.set_account_active(actor=_staff(request), user_id=obj.id, active=active)
            except ServiceError as exc:
                self.message_user(request, f"{obj.username}: {exc.message}", messages.ERROR)
            obj.refresh_from_db()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deletion is the account owner's, through the API (it anonymises)

    @admin.action(description="Ban for 7 days (reason: by staff via admin)")
    def ban_for_seven_days(self, request: HttpRequest, queryset: QuerySet) -> None:
        until = timezone.now() + timedelta(days=7)
        _run(
            self,
            request,
            queryset,
            lambda actor, user: services.ban_user(
                actor=actor, user_id=user.id, reason="Banned by staff.", until=until
            ),
        )

    @admin.action(description="Lift the ban")
    def unban(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run(
            self,
            request,
            queryset,
            lambda actor, user: services.unban_user(actor=actor, user_id=user.id),
        )

    @admin.action(description="Deactivate (refused everywhere, like a ban, until reactivated)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run(
            self,
            request,
            queryset,
            lambda actor, user: services.set_account_active(
                actor=actor, user_id=user.id, active=False
            ),
        )

    @admin.action(description="Reactivate")
    def reactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run(
            self,
            request,
            queryset,
            lambda actor, user: services.set_account_active(
                actor=actor, user_id=user.id, active=True
            ),
        )

    @admin.action(description="End all sessions (log out everywhere)")
    def revoke_all_sessions(self, request: HttpRequest, queryset: QuerySet) -> None:
        services.revoke_all_sessions(users=queryset)
        self.message_user(request, "Sessions ended.", messages.SUCCESS)


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "user_agent", "ip", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoke_reason",)
    search_fields = ("=id", "=user__id", "user__username")
    list_select_related = ("user",)
    readonly_fields = [field.name for field in Session._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Ban)
class BanAdmin(admin.ModelAdmin):
    list_display = ("user", "reason", "until", "created_at", "issued_by", "ended_at", "end_reason")
    list_filter = ("end_reason",)
    search_fields = ("=user__id", "user__username")
    list_select_related = ("user", "issued_by")
    readonly_fields = [field.name for field in Ban._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
