from django.contrib import admin

from media.files.models import (
    AudienceMember,
    MediaFile,
    MediaReference,
    StorageDeletion,
    UploadSession,
)


class MediaReferenceInline(admin.TabularInline):
    model = MediaReference
    extra = 0
    readonly_fields = ("service", "object_type", "object_id", "audience", "created_at")
    can_delete = False


@admin.register(MediaFile)
class MediaFileAdmin(admin.ModelAdmin):
    # Read-only: deleting through admin would skip the storage cleanup and the event; use the
    # API (moderators may delete any file).
    list_display = (
        "id",
        "owner_id",
        "purpose",
        "visibility",
        "kind",
        "status",
        "size",
        "created_at",
    )
    list_filter = ("purpose", "visibility", "kind", "status")
    search_fields = ("=id", "=owner_id", "=sha256", "filename")
    inlines = [MediaReferenceInline]
    readonly_fields = [field.name for field in MediaFile._meta.fields]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(UploadSession)
class UploadSessionAdmin(admin.ModelAdmin):
    list_display = ("id", "owner_id", "purpose", "status", "size", "expires_at", "created_at")
    list_filter = ("status", "purpose")
    search_fields = ("=id", "=owner_id")
    readonly_fields = [field.name for field in UploadSession._meta.fields]


@admin.register(StorageDeletion)
class StorageDeletionAdmin(admin.ModelAdmin):
    list_display = ("key", "not_before", "attempts", "last_error")
    readonly_fields = ("key", "not_before", "attempts", "last_error", "created_at")


@admin.register(AudienceMember)
class AudienceMemberAdmin(admin.ModelAdmin):
    # Read-only: the projection of other services' events (who may read private files).
    list_display = ("service", "audience", "user_id", "granted", "changed_at")
    list_filter = ("service", "granted")
    search_fields = ("=audience", "=user_id")
    readonly_fields = [field.name for field in AudienceMember._meta.fields]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False
