from django.contrib import admin

from cotask_common.users.models import UserRef


@admin.register(UserRef)
class UserRefAdmin(admin.ModelAdmin):
    list_display = ("username", "id", "role", "is_banned", "banned_until", "is_deleted")
    list_filter = ("role", "is_banned", "is_deleted")
    search_fields = ("username", "display_name", "=id")
    readonly_fields = [field.name for field in UserRef._meta.fields]

    def has_add_permission(self, request) -> bool:  # the projection is written by events only
        return False
