from django.contrib import admin

from notifications.inbox.models import (
    Notification,
    PageFollow,
    PageSubscription,
    Preference,
    Recipient,
)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("text", "recipient", "type", "sequence", "read_at", "email_state", "created_at")
    list_filter = ("type", "email_state", "language")
    search_fields = ("=recipient__id", "text")
    raw_id_fields = ("recipient",)


@admin.register(Recipient)
class RecipientAdmin(admin.ModelAdmin):
    list_display = ("username", "id", "language", "email_frequency", "last_sequence")
    search_fields = ("username", "=id")


admin.site.register(Preference)
admin.site.register(PageSubscription)


@admin.register(PageFollow)
class PageFollowAdmin(admin.ModelAdmin):
    """The follow projection new-post alerts are checked against (read from social's events)."""

    list_display = ("user_id", "page_id", "active", "page_name", "source_version")
    list_filter = ("active",)
    search_fields = ("=user_id", "=page_id")
