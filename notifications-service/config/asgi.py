"""HTTP (Django) and websockets (Channels) in one ASGI application."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application

from cotask_common.entrypoints import freeze_loaded_objects, prepare

prepare()  # var/ before the settings are read
django_application = get_asgi_application()  # sets Django up before the routes import models

from notifications.realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {"http": django_application, "websocket": URLRouter(websocket_urlpatterns)}
)
freeze_loaded_objects()
