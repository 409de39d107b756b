from django.urls import path

from social.moderation import apis

urlpatterns = [
    path("moderation/pages/<str:ref>/block/", apis.BlockPageApi.as_view(), name="mod-page-block"),
    path(
        "moderation/posts/<uuid:post_id>/delete/",
        apis.ModeratePostApi.as_view(),
        name="mod-post-delete",
    ),
    path(
        "moderation/comments/<uuid:comment_id>/delete/",
        apis.ModerateCommentApi.as_view(),
        name="mod-comment-delete",
    ),
    path("moderation/actions/", apis.ActionsApi.as_view(), name="mod-actions"),
    path("reports/", apis.ReportsApi.as_view(), name="reports"),
    path(
        "reports/<uuid:report_id>/resolve/", apis.ResolveReportApi.as_view(), name="report-resolve"
    ),
]
