"""Each service's small projection of auth-service's accounts, kept current by `auth.user.*`."""

from __future__ import annotations

from django.db import models

from cotask_common.roles import Role


class UserRef(models.Model):
    id = models.UUIDField(primary_key=True)
    username = models.CharField(max_length=150, db_index=True)
    display_name = models.CharField(max_length=150, blank=True, default="")
    # The account's IANA zone: the days a habit counts and the local times reminders fire at
    # (a request's own token `tz` claim wins where there is a request).
    time_zone = models.CharField(max_length=64, default="UTC")
    role = models.CharField(max_length=16, default=Role.USER)
    email_verified = models.BooleanField(default=False)
    is_banned = models.BooleanField(default=False)
    banned_until = models.DateTimeField(null=True, blank=True)
    ban_reason = models.TextField(blank=True, default="")
    is_deleted = models.BooleanField(default=False)
    # Staff set `is_active = false` in auth's Django admin: refused like a ban until reactivated.
    is_deactivated = models.BooleanField(default=False)
    # Set when the role changed after registration: such users' token roles are overridden.
    role_changed_at = models.DateTimeField(null=True, blank=True)
    # The `occurred_at` of the newest auth event applied, so an older event never wins.
    source_version = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "user reference"
        indexes = [
            models.Index(
                fields=["id"],
                name="userref_restricted_idx",
                condition=models.Q(is_banned=True)
                | models.Q(is_deleted=True)
                | models.Q(is_deactivated=True)
                | models.Q(role_changed_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return self.username
