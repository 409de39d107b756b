from django.urls import path

from notifications.realtime.consumers import UserSocketConsumer

websocket_urlpatterns = [path("ws/", UserSocketConsumer.as_asgi())]
