from django.urls import include, path

from cotask_common.urls import service_urlpatterns

urlpatterns = service_urlpatterns(
    "tasks",
    [
        path("", include("tasks.rooms.urls")),
        path("", include("tasks.planning.urls")),
        path("", include("tasks.planning.relations_urls")),
        path("", include("tasks.comments.urls")),
        path("", include("tasks.reminders.urls")),
        path("", include("tasks.analytics.urls")),
        path("", include("tasks.calendar.urls")),
        path("", include("tasks.concretizer.urls")),
        path("", include("tasks.agenda.urls")),
    ],
)

handler404 = "cotask_common.errors.not_found_view"
handler500 = "cotask_common.errors.server_error_view"
