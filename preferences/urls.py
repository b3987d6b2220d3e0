"""Subscriber-facing URLs. These paths are printed in mail already sent: never change them."""

from django.urls import path

from preferences import views

urlpatterns = [
    path("p/<str:token>/", views.preference_center, name="center"),
    path("u/<uuid:list_uuid>/", views.hosted_page, name="hosted"),
    path("u/<uuid:list_uuid>/<str:token>/", views.direct_link, name="direct"),
    path("o/<str:token>/", views.one_click, name="one_click"),
    path("x/<uuid:list_uuid>/<str:pixel_key>.gif", views.pixel, name="pixel"),
]
