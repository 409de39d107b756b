from django.urls import path

from social.feed import apis

urlpatterns = [path("feed/", apis.HomeFeedApi.as_view(), name="feed-home")]
