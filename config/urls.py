"""Root URLs. Public paths are a contract with mailers' templates: never rename them."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config import exceptions, views
from consent import admin_compliance

urlpatterns = [
    # Subscriber paths first: one-click requests come in bulk, and no other prefix overlaps.
    path("", include(("preferences.urls", "preferences"), namespace="preferences")),
    path("healthz", views.healthz, name="healthz"),
    # Compliance pages (evidence, honouring, reports) live beside the consent admin.
    path("admin/consent/", include(admin_compliance.urls, namespace="compliance")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(("config.api_router", "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its initializer as a separate script: our CSP forbids inline ones.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    path("portal/", include(("preferences.portal_urls", "portal"), namespace="portal")),
]

if settings.OPTOUT_BENCH_VIEWS:
    urlpatterns.insert(0, path("bench/", include("bench.urls")))


def handler500(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return exceptions.server_error(request)
    return defaults.server_error(request)


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return exceptions.not_found(request)
    return defaults.page_not_found(request, exception)
