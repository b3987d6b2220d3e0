"""Subscriber-facing URLs. These paths are printed in mail already sent: never change them."""

from django.urls import path

from preferences.views import center, esp, journey, unsubscribe

urlpatterns = [
    # Mail providers and journey platforms call these two in bulk: first, so resolving them
    # tries no other pattern.
    path("o/<str:token>/", unsubscribe.one_click, name="one_click"),
    path("j/<str:endpoint_key>/", journey.one_click, name="journey_one_click"),
    path("p/<str:token>/", center.preference_center, name="center"),
    path("t/<uuid:list_uuid>/theme.css", center.theme, name="theme"),
    path("u/<uuid:list_uuid>/", unsubscribe.hosted_page, name="hosted"),
    path("u/<uuid:list_uuid>/<str:token>/", unsubscribe.direct_link, name="direct"),
    path("x/<uuid:list_uuid>/<str:pixel_key>.gif", unsubscribe.pixel, name="pixel"),
    # Continuous ESP sync: each EspConnection gives its ESP this URL with its own uuid.
    path("esp/<uuid:connection_uuid>/", esp.esp_webhook, name="esp_webhook"),
]
