from django.urls import path

from social.search import apis

urlpatterns = [
    path("search/", apis.SearchApi.as_view(), name="search"),
    path("for-you/", apis.ForYouApi.as_view(), name="for-you"),
]
