from django.urls import path

from tasks.analytics import apis

urlpatterns = [
    path("analytics/rooms/<str:room_id>/", apis.RoomAnalyticsApi.as_view()),
    path("analytics/rooms/<str:room_id>/members/", apis.RoomMembersAnalyticsApi.as_view()),
    path("analytics/me/", apis.MyAnalyticsApi.as_view()),
]
