from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from auth.accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "display_name", "role", "email_verified", "is_active")
    list_filter = ("role", "email_verified", "is_active", "is_staff")
    search_fields = ("username", "email", "display_name", "=id")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("CoTask", {"fields": ("display_name", "role", "email_verified")}),
    )
