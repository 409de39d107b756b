from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from media.files import selectors
from media.files.models import (
    PURPOSE_CHOICES,
    Conversion,
    MediaFile,
    Status,
    UploadSession,
    Visibility,
)
from media.files.purposes import PURPOSES

PURPOSE_ERRORS = {"invalid_choice": f"Choose one of: {', '.join(PURPOSES)}."}


def _absolute(url: str | None, context: dict[str, Any]) -> str | None:
    """Local URLs are paths on the gateway; clients get them absolute."""
    request = context.get("request")
    if url and url.startswith("/") and request is not None:
        return request.build_absolute_uri(url)
    return url


class UploadInput(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, use_url=False)
    purpose = serializers.ChoiceField(choices=PURPOSE_CHOICES, error_messages=PURPOSE_ERRORS)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    sha256 = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$",
        required=False,
        min_length=64,  # so a form's empty value is checked, not read as absent
        help_text="Optional: the SHA-256 (hex) the client computed; a mismatch is refused.",
    )


class DirectUploadInput(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=PURPOSE_CHOICES, error_messages=PURPOSE_ERRORS)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    filename = serializers.CharField(max_length=255)
    content_type = serializers.CharField(max_length=127, help_text="For example image/jpeg.")
    size = serializers.IntegerField(min_value=0, help_text="Exact size in bytes.")
    sha256 = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$", help_text="SHA-256 of the whole file, 64 hex characters."
    )
    expires_in = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="Seconds the upload URL stays valid (at most the server's limit).",
    )


class FileListQuery(serializers.Serializer):
    purpose = serializers.ChoiceField(
        choices=PURPOSE_CHOICES, required=False, error_messages=PURPOSE_ERRORS
    )
    status = serializers.ChoiceField(choices=Status.choices, required=False)


class AccessUrlQuery(serializers.Serializer):
    variant = serializers.CharField(max_length=32, required=False, default=selectors.ORIGINAL)
    expires_in = serializers.IntegerField(min_value=1, required=False)


class VariantOutput(serializers.Serializer):
    url = serializers.URLField(allow_null=True, help_text="Plain URL (public files only).")
    content_type = serializers.CharField()
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    size = serializers.IntegerField()


class FailureOutput(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class ConversionOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=Conversion.choices)
    progress = serializers.IntegerField(help_text="Percent done (100 when ready).")
    error = FailureOutput(allow_null=True, help_text="Why it failed; the original is kept.")


class FileOutput(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(
        help_text="Plain URL of the original for public files; null for private files "
        "(ask /files/{id}/url for a signed one)."
    )
    variants = serializers.SerializerMethodField()
    failure = serializers.SerializerMethodField()
    conversion = serializers.SerializerMethodField(
        help_text="Videos: the transcoding to MP4 renditions (`720p`, `360p` in `variants`); "
        "null for other files."
    )

    class Meta:
        model = MediaFile
        fields = [
            "id",
            "owner_id",
            "purpose",
            "visibility",
            "kind",
            "status",
            "filename",
            "content_type",
            "size",
            "stored_size",
            "sha256",
            "width",
            "height",
            "duration",
            "video_codec",
            "audio_codec",
            "url",
            "variants",
            "failure",
            "conversion",
            "created_at",
            "ready_at",
        ]
        read_only_fields = fields

    def _urls(self, file: MediaFile) -> dict[str, str | None]:
        cache = self.context.setdefault("_urls", {})
        if file.id not in cache:
            cache[file.id] = selectors.public_urls(file)
        return cache[file.id]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_url(self, file: MediaFile) -> str | None:
        return _absolute(self._urls(file).get(selectors.ORIGINAL), self.context)

    @extend_schema_field(serializers.DictField(child=VariantOutput()))
    def get_variants(self, file: MediaFile) -> dict[str, dict[str, Any]]:
        urls = self._urls(file)
        return {
            name: {
                "url": _absolute(urls.get(name), self.context),
                "content_type": variant["content_type"],
                "width": variant.get("width"),
                "height": variant.get("height"),
                "size": variant.get("size", 0),
            }
            for name, variant in file.variants.items()
        }

    @extend_schema_field(ConversionOutput(allow_null=True))
    def get_conversion(self, file: MediaFile) -> dict[str, Any] | None:
        if not file.conversion_status:
            return None
        failed = file.conversion_status == Conversion.FAILED
        return {
            "status": file.conversion_status,
            "progress": file.conversion_progress,
            "error": {"code": file.conversion_error_code, "message": file.conversion_error}
            if failed
            else None,
        }

    @extend_schema_field(FailureOutput(allow_null=True))
    def get_failure(self, file: MediaFile) -> dict[str, str] | None:
        if file.status != Status.FAILED:
            return None
        return {"code": file.failure_code, "message": file.failure_message}


class UploadedFileOutput(FileOutput):
    deduplicated = serializers.SerializerMethodField(
        help_text="True when this content was already stored for you (the existing file)."
    )

    class Meta(FileOutput.Meta):
        fields = [*FileOutput.Meta.fields, "deduplicated"]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_deduplicated(self, file: MediaFile) -> bool:
        return bool(self.context.get("deduplicated"))


class SignedRequestOutput(serializers.Serializer):
    method = serializers.CharField()
    url = serializers.URLField()
    headers = serializers.DictField(child=serializers.CharField())


class DirectUploadOutput(serializers.Serializer):
    id = serializers.UUIDField(allow_null=True)
    status = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)
    upload = SignedRequestOutput(allow_null=True)
    file = FileOutput(allow_null=True)
    deduplicated = serializers.BooleanField()


def direct_upload_output(
    *, session: UploadSession | None, request: Any, file: MediaFile | None, context: dict
) -> dict[str, Any]:
    upload = None
    if request is not None:
        upload = {
            "method": request.method,
            "url": _absolute(request.url, context),
            "headers": request.headers,
        }
    return {
        "id": session.id if session else None,
        "status": session.status if session else "completed",
        "expires_at": session.expires_at if session else None,
        "upload": upload,
        "file": FileOutput(file, context=context).data if file else None,
        "deduplicated": file is not None,
    }


class AccessUrlOutput(serializers.Serializer):
    url = serializers.URLField()
    variant = serializers.CharField()
    content_type = serializers.CharField()
    expires_at = serializers.DateTimeField(
        allow_null=True, help_text="Null for public files (their URL does not expire)."
    )


class PurposeOutput(serializers.Serializer):
    name = serializers.CharField()
    max_bytes = serializers.IntegerField()
    types = serializers.ListField(child=serializers.DictField())
    visibilities = serializers.ListField(child=serializers.CharField())
