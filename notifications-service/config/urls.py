from django.urls import include, path
from notifications.inbox import pages

from cotask_common.urls import service_urlpatterns

urlpatterns = [
    *service_urlpatterns("notifications", [path("", include("notifications.inbox.urls"))]),
    # The page behind the unsubscribe links in emails (the gateway routes this path here).
    path("unsubscribe", pages.unsubscribe_page, name="unsubscribe-page"),
]

handler404 = "cotask_common.errors.not_found_view"
handler500 = "cotask_common.errors.server_error_view"
