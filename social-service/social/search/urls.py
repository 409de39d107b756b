from django.urls import path

from social.search import apis

urlpatterns = [path("search/", apis.SearchApi.as_view(), name="search")]
