from django.urls import path

from social.progress import apis

urlpatterns = [
    path("me/progress/", apis.SettingsApi.as_view(), name="progress-settings"),
    path("me/progress/mutes/", apis.MutesApi.as_view(), name="progress-mutes"),
    path("pages/<str:ref>/progress-mute/", apis.MuteApi.as_view(), name="progress-mute"),
]
