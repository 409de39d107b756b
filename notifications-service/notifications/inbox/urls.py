from django.urls import path

from notifications.inbox import apis

urlpatterns = [
    path("", apis.NotificationListApi.as_view(), name="notification-list"),
    path("unread-count/", apis.UnreadCountApi.as_view(), name="notification-unread-count"),
    path("read-all/", apis.ReadAllApi.as_view(), name="notification-read-all"),
    path("<uuid:notification_id>/", apis.NotificationDetailApi.as_view(), name="notification"),
    path(
        "<uuid:notification_id>/read/", apis.NotificationReadApi.as_view(), name="notification-read"
    ),
    path("preferences/", apis.PreferencesApi.as_view(), name="preferences"),
    path("preferences/pages/", apis.PageSubscriptionListApi.as_view(), name="page-subscriptions"),
    path(
        "preferences/pages/<uuid:page_id>/",
        apis.PageSubscriptionApi.as_view(),
        name="page-subscription",
    ),
    path("ws-ticket/", apis.WsTicketApi.as_view(), name="ws-ticket"),
    path("unsubscribe/", apis.unsubscribe_view, name="unsubscribe"),
]
