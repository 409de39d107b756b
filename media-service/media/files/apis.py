"""Thin views: parse, call a service or selector, serialize."""

from __future__ import annotations

from uuid import UUID

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cotask_common.errors import error_body
from cotask_common.openapi import error_response
from cotask_common.pagination import CursorPagination
from cotask_common.security.requests import SignedInRequest
from media.files import selectors, services, signing
from media.files.errors import StorageUnavailable, storage_unavailable_error
from media.files.purposes import PURPOSES
from media.files.serializers import (
    AccessUrlOutput,
    AccessUrlQuery,
    DirectUploadInput,
    DirectUploadOutput,
    FileListQuery,
    FileOutput,
    PurposeOutput,
    UploadedFileOutput,
    UploadInput,
    direct_upload_output,
)
from media.files.sniffing import TYPES
from media.files.storage import LocalMediaStorage, TooMuchData, get_storage
from media.files.uploads import (
    LimitedTemporaryFileUploadHandler,
    refuse_oversized_body,
    uploaded_path,
)

REFUSALS = OpenApiResponse(
    description="The file or a field is refused; `code` says why (file_too_large is 413) and "
    "the message names the limit or the field."
)


# A small text file, the document's example of an upload (its bytes and their SHA-256).
_NOTES = "Kickoff notes: goals, owners, dates.\n"
_NOTES_SHA256 = "65e76c2616f2e2c4232d7f9c74858318a4fa9eda53e41812eb39f583dbf52412"


class StorageErrorsMixin:
    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, StorageUnavailable):
            exc = storage_unavailable_error()
        return super().handle_exception(exc)  # type: ignore[misc]


class PurposeListApi(APIView):
    paginated_list = False  # the few purposes, all at once (OpenAPI: not a cursor page)
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="What files are for, with each purpose's limits",
        operation_id="media_purposes",
        responses=PurposeOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        return Response(
            [
                {
                    "name": purpose.name,
                    "max_bytes": purpose.max_bytes,
                    "types": [
                        {
                            "mime": TYPES[name].mime,
                            "label": TYPES[name].label,
                            "extensions": list(TYPES[name].extensions),
                        }
                        for name in TYPES
                        if name in purpose.types
                    ],
                    "visibilities": list(purpose.visibilities),
                }
                for purpose in PURPOSES.values()
            ]
        )


class FileListApi(StorageErrorsMixin, APIView):
    parser_classes = [MultiPartParser]
    # Declared (not only used) so the OpenAPI schema shows the paginated envelope.
    pagination_class = CursorPagination

    @extend_schema(
        summary="My files, newest first",
        operation_id="media_files_list",
        parameters=[FileListQuery],
        responses=FileOutput(many=True),
        description="The caller's files, newest first (cursor-paginated).",
    )
    def get(self, request: SignedInRequest) -> Response:
        query = FileListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        files = selectors.files_for_owner(owner_id=request.user.id, **query.validated_data)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(files, request, view=self)
        context = {"request": request}
        return paginator.get_paginated_response(FileOutput(page, many=True, context=context).data)

    @extend_schema(
        summary="Upload a file (multipart), checked by its content",
        operation_id="media_files_upload",
        request={"multipart/form-data": UploadInput},
        examples=[
            OpenApiExample(
                "A task attachment",
                value={
                    "file": _NOTES,
                    "purpose": "task_attachment",
                    "visibility": "private",
                    "sha256": _NOTES_SHA256,
                },
                request_only=True,
                media_type="multipart/form-data",
            )
        ],
        responses={
            201: UploadedFileOutput,
            200: OpenApiResponse(UploadedFileOutput, description="Already stored (deduplicated)"),
            400: REFUSALS,
            413: REFUSALS,
        },
        description="Upload a file of at most 25 MB in one multipart request (larger ones: "
        "POST /uploads/). Images are ready at once; videos are `processing` until their "
        "metadata and poster are read.",
    )
    def post(self, request: SignedInRequest) -> Response:
        refuse_oversized_body(request.META.get("CONTENT_LENGTH"))
        # Straight to a temporary file, cut off at the limit (set before the body is parsed).
        request._request.upload_handlers = [LimitedTemporaryFileUploadHandler(request._request)]
        data = UploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        with uploaded_path(upload) as path:
            result = services.upload_file(
                owner_id=request.user.id,
                purpose=data.validated_data["purpose"],
                visibility=data.validated_data.get("visibility"),
                path=path,
                filename=upload.name or "",
                sha256=data.validated_data.get("sha256"),
            )
        context = {"request": request, "deduplicated": not result.created}
        return Response(
            UploadedFileOutput(result.file, context=context).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class FileDetailApi(StorageErrorsMixin, APIView):
    @extend_schema(
        summary="A file's metadata and variants",
        operation_id="media_files_retrieve",
        responses={200: FileOutput, 404: OpenApiResponse(description="No such file (or private)")},
    )
    def get(self, request: SignedInRequest, file_id: UUID) -> Response:
        file = selectors.visible_file(user=request.user, file_id=file_id)
        return Response(FileOutput(file, context={"request": request}).data)

    @extend_schema(
        summary="Delete my file",
        operation_id="media_files_delete",
        responses={
            204: None,
            403: OpenApiResponse(description="Not yours"),
            404: OpenApiResponse(description="No such file"),
        },
    )
    def delete(self, request: SignedInRequest, file_id: UUID) -> Response:
        services.delete_file(user=request.user, file_id=file_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FileAccessUrlApi(StorageErrorsMixin, APIView):
    @extend_schema(
        summary="A short-lived URL to download a file",
        operation_id="media_files_url",
        parameters=[
            AccessUrlQuery,
            OpenApiParameter(
                "variant",
                str,
                description="original (default), medium, thumbnail, poster (videos)",
            ),
        ],
        responses={
            200: AccessUrlOutput,
            404: OpenApiResponse(description="No such file"),
            409: error_response("The file failed processing and has no content (`file_failed`)"),
        },
        description="A URL to read the file: the plain URL of a public file, or a short-lived "
        "signed URL of a private one (only for someone allowed to see it).",
    )
    def get(self, request: SignedInRequest, file_id: UUID) -> Response:
        query = AccessUrlQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        access = selectors.access_url(user=request.user, file_id=file_id, **query.validated_data)
        url = access.url
        if url.startswith("/"):
            url = request.build_absolute_uri(url)
        body = {
            "url": url,
            "variant": access.variant,
            "content_type": access.content_type,
            "expires_at": access.expires_at,
        }
        # A signed URL is a credential: no cache may keep it.
        return Response(AccessUrlOutput(body).data, headers={"Cache-Control": "no-store"})


class DirectUploadApi(StorageErrorsMixin, APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Start a direct upload: a presigned URL to PUT the bytes to",
        operation_id="media_uploads_start",
        request=DirectUploadInput,
        examples=[
            OpenApiExample(
                "A task attachment announced",
                value={
                    "purpose": "task_attachment",
                    "visibility": "private",
                    "filename": "kickoff-notes.txt",
                    "content_type": "text/plain",
                    "size": len(_NOTES.encode()),
                    "sha256": _NOTES_SHA256,
                },
                request_only=True,
            )
        ],
        responses={
            201: DirectUploadOutput,
            200: OpenApiResponse(
                DirectUploadOutput, description="This content is already stored (`file`)"
            ),
            400: REFUSALS,
            413: REFUSALS,
        },
        description="Announce a file (any size up to the purpose's limit); PUT its bytes to "
        "`upload.url` with `upload.headers`, then POST /uploads/{id}/complete.",
    )
    def post(self, request: SignedInRequest) -> Response:
        data = DirectUploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        started = services.start_direct_upload(owner_id=request.user.id, **data.validated_data)
        context = {"request": request}
        body = direct_upload_output(
            session=started.session, request=started.request, file=started.file, context=context
        )
        created = started.session is not None
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class DirectUploadCompleteApi(StorageErrorsMixin, APIView):
    @extend_schema(
        summary="Complete a direct upload: check and store the bytes",
        operation_id="media_uploads_complete",
        request=None,
        responses={
            201: UploadedFileOutput,
            200: OpenApiResponse(UploadedFileOutput, description="Already completed / stored"),
            400: REFUSALS,
            409: OpenApiResponse(description="Rejected before, or being completed"),
            410: OpenApiResponse(description="Expired"),
        },
        description="Check what arrived (size, SHA-256, type by content) and accept it.",
    )
    def post(self, request: SignedInRequest, upload_id: UUID) -> Response:
        result = services.complete_direct_upload(owner_id=request.user.id, upload_id=upload_id)
        context = {"request": request, "deduplicated": not result.created}
        return Response(
            UploadedFileOutput(result.file, context=context).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


# -- the local storage's signed URLs (what S3 does for presigned URLs) -------------------------


def _refuse(request: HttpRequest, status_code: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(code=code, message=message, request=request), status=status_code)


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "PUT"])
def local_object(request: HttpRequest, key: str) -> HttpResponse:
    """Signed GET (private downloads) and PUT (direct uploads) in local mode. The signature in
    the query is the only credential, exactly like an S3 presigned URL."""
    storage = get_storage()
    if not isinstance(storage, LocalMediaStorage):
        return _refuse(request, 404, "not_found", _("Nothing is here."))
    method = "PUT" if request.method == "PUT" else "GET"
    signed = (
        ("content-type", "content-length")
        if method == "PUT"
        else (
            "response-content-type",
            "response-disposition",
        )
    )
    try:
        params = signing.verify(
            method=method, key=key, query=request.GET.dict(), signed_params=signed
        )
        path = storage.path(key)
    except signing.SignatureProblem as problem:
        return _refuse(request, 403, problem.code, problem.message)
    except ValueError:
        return _refuse(request, 403, "signature_invalid", _("The URL does not name an object."))
    if method == "PUT":
        return _receive(request, storage, key, params)
    if not path.is_file():
        return _refuse(request, 404, "not_found", _("No such object."))
    response = FileResponse(open(path, "rb"), content_type=params["response-content-type"])  # noqa: SIM115
    response["Content-Disposition"] = params["response-disposition"]
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _receive(
    request: HttpRequest, storage: LocalMediaStorage, key: str, params: dict[str, str]
) -> HttpResponse:
    if storage.area_of(key) != "incoming":
        return _refuse(request, 403, "signature_invalid", _("Uploads go to upload URLs only."))
    if not selectors.upload_accepts_data(storage_key=key):
        return _closed(request)
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type != params["content-type"]:
        return _refuse(
            request,
            403,
            "signature_mismatch",
            _("Content-Type must be %(announced)s as announced, not %(given)s.")
            % {"announced": params["content-type"], "given": repr(content_type)},
        )
    length = request.META.get("CONTENT_LENGTH") or ""
    if length != params["content-length"]:
        return _refuse(
            request,
            403,
            "signature_mismatch",
            _("Content-Length must be %(announced)s bytes as announced, not %(given)s.")
            % {"announced": params["content-length"], "given": length or "-"},
        )
    try:
        storage.write_stream(key, request, size=int(length))
    except TooMuchData as exc:
        return _refuse(
            request, 400, "incomplete_body", _("The body was incomplete: %(why)s.") % {"why": exc}
        )
    if not selectors.upload_accepts_data(storage_key=key):
        # `complete` started while the bytes streamed in: what it checks (and stores) is its
        # own copy; these late bytes are removed (again at the URL's expiry, for safety).
        storage.delete_many([key])
        return _closed(request)
    return HttpResponse(status=200)


def _closed(request: HttpRequest) -> JsonResponse:
    # No token on a signed URL: the language is the request's Accept-Language.
    with translation.override(translation.get_language_from_request(request)):
        message = _("This upload no longer accepts data (it was completed, rejected or expired).")
    return _refuse(request, 409, "upload_closed", message)
