from django.urls import path

from media.files import apis

urlpatterns = [
    path("purposes/", apis.PurposeListApi.as_view(), name="media-purposes"),
    path("files/", apis.FileListApi.as_view(), name="media-files"),
    path("files/<uuid:file_id>/", apis.FileDetailApi.as_view(), name="media-file"),
    path("files/<uuid:file_id>/url", apis.FileAccessUrlApi.as_view(), name="media-file-url"),
    path("uploads/", apis.DirectUploadApi.as_view(), name="media-uploads"),
    path(
        "uploads/<uuid:upload_id>/complete",
        apis.DirectUploadCompleteApi.as_view(),
        name="media-upload-complete",
    ),
    # Local storage only: signed GET/PUT, the equivalent of S3 presigned URLs.
    path("objects/<path:key>", apis.local_object, name="media-object"),
]
