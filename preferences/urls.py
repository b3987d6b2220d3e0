"""Subscriber-facing URLs. These paths are printed in mail already sent: never change them."""

from django.urls import path

from preferences.views import center, unsubscribe

urlpatterns = [
    path("p/<str:token>/", center.preference_center, name="center"),
    path("u/<uuid:list_uuid>/", unsubscribe.hosted_page, name="hosted"),
    path("u/<uuid:list_uuid>/<str:token>/", unsubscribe.direct_link, name="direct"),
    path("o/<str:token>/", unsubscribe.one_click, name="one_click"),
    path("x/<uuid:list_uuid>/<str:pixel_key>.gif", unsubscribe.pixel, name="pixel"),
]

# Journey platforms' customer-managed one-click endpoint (issue 9).
from preferences.views import journey  # noqa: E402  # kept apart from the block above

urlpatterns += [
    path("j/<str:endpoint_key>/", journey.one_click, name="journey_one_click"),
]
