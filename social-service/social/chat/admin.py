"""Chat in Django admin, for support and moderation: read-only, like every admin of this
service. Moderators (a staff account linked to a CoTask moderator or admin) delete messages for
everyone with the changelist's action, which calls the same service as the API (the members'
sockets hear of it)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

from cotask_common.events.admin import ReadOnlyAdmin
from social.chat import services
from social.chat.models import ChatSettings, Conversation, Membership, Message, Reaction
from social.moderation.admin_access import moderator_account

MAX_ROWS = 100


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ("user", "role", "joined_at", "left_at", "muted")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "name", "created_by", "created_at")
    list_filter = ("kind",)
    search_fields = ("=id", "name", "created_by__username", "=created_by__id")
    list_select_related = ("created_by",)
    ordering = ("-activity_id",)
    show_full_result_count = False
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ("user", "conversation_id", "role", "joined_at", "left_at", "muted")
    list_filter = ("role", "muted")
    search_fields = ("=conversation__id", "user__username", "=user__id")
    list_select_related = ("user",)
    ordering = ("-id",)
    show_full_result_count = False


@admin.action(description="Delete the selected messages for everyone", permissions=["moderate"])
def delete_for_everyone(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Message]
) -> None:
    actor = moderator_account(request.user)
    if actor is None:  # the action list already hides it; a forged POST ends here
        raise PermissionDenied
    rows = list(queryset.select_related("conversation")[: MAX_ROWS + 1])
    if len(rows) > MAX_ROWS:
        modeladmin.message_user(
            request, f"Select at most {MAX_ROWS} messages; nothing was changed.", messages.ERROR
        )
        return
    done = 0
    for message in rows:
        if message.deleted_at is None:
            services.erase_message(message=message, actor_id=actor.id)
            done += 1
    modeladmin.message_user(request, f"{done} message(s) deleted for everyone.")


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "conversation_id", "author", "text", "created_at", "deleted_at")
    list_filter = ("conversation__kind",)
    search_fields = ("=id", "=conversation__id", "author__username", "=author__id")
    list_select_related = ("author",)
    ordering = ("-id",)
    show_full_result_count = False
    actions = [delete_for_everyone]

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return moderator_account(request.user) is not None


@admin.register(Reaction)
class ReactionAdmin(ReadOnlyAdmin):
    list_display = ("user", "message_id", "emoji", "created_at")
    search_fields = ("=message__id", "user__username", "=user__id")
    list_select_related = ("user",)
    ordering = ("-id",)
    show_full_result_count = False


@admin.register(ChatSettings)
class ChatSettingsAdmin(ReadOnlyAdmin):
    list_display = ("user", "who_may_message", "updated_at")
    list_filter = ("who_may_message",)
    search_fields = ("user__username", "=user__id")
    list_select_related = ("user",)
    ordering = ("-updated_at",)
