from django.urls import include, path

from cotask_common.urls import service_urlpatterns

urlpatterns = service_urlpatterns(
    "social",
    [
        path("", include("social.pages.urls")),
        path("", include("social.posts.urls")),
        path("", include("social.feed.urls")),
        path("", include("social.progress.urls")),
        path("", include("social.moderation.urls")),
        path("", include("social.search.urls")),
        path("", include("social.chat.urls")),
        path("", include("social.mentors.urls")),
    ],
)

handler404 = "cotask_common.errors.not_found_view"
handler500 = "cotask_common.errors.server_error_view"
