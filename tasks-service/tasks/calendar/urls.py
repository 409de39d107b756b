"""Calendar feeds (under `/api/tasks/`)."""

from django.urls import path

from tasks.calendar import apis

urlpatterns = [
    path("calendar/feeds/", apis.FeedsApi.as_view(), name="calendar-feeds"),
    path("calendar/feeds/<str:feed_id>/", apis.FeedDetailApi.as_view(), name="calendar-feed"),
    path(
        "calendar/feeds/<str:feed_id>/rotate/",
        apis.FeedRotateApi.as_view(),
        name="calendar-feed-rotate",
    ),
    # The secret address calendar apps fetch, without a login.
    path("calendar/<str:token>.ics", apis.FeedIcsApi.as_view(), name="calendar-ics"),
]
