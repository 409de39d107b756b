from django.urls import include, path

from cotask_common.urls import service_urlpatterns

urlpatterns = service_urlpatterns(
    "habits",
    [
        path("", include("habits.tracking.urls")),
        path("", include("habits.tracking.reminder_urls")),
        path("", include("habits.card_transfer.urls")),
        path("", include("habits.cards.urls")),
    ],
)

handler404 = "cotask_common.errors.not_found_view"
handler500 = "cotask_common.errors.server_error_view"
