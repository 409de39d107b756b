"""URL patterns every service shares, all under its own prefix so the gateway passes paths as
they are: `/api/<service>/…` for the API and `/admin/<service>/` for Django admin."""

from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from cotask_common import health
from cotask_common.views import WhoAmIApi


def service_urlpatterns(
    service: str, api_patterns: list[URLPattern | URLResolver]
) -> list[URLPattern | URLResolver]:
    prefix = f"api/{service}/"
    return [
        path(f"{prefix}healthz", health.healthz, name="healthz"),
        path(f"{prefix}readyz", health.readyz, name="readyz"),
        path(f"{prefix}whoami", WhoAmIApi.as_view(), name="whoami"),
        path(f"{prefix}schema/", SpectacularAPIView.as_view(), name="schema"),
        path(f"{prefix}docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
        path(prefix, include(api_patterns)),
        path(f"admin/{service}/", admin.site.urls),
    ]
