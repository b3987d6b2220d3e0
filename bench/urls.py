"""Routed under /bench/ only when OPTOUT_BENCH_VIEWS is true (config/urls.py), never by default."""

from django.urls import path

from bench import views

urlpatterns = [
    path("insert/", views.insert, name="bench-insert"),
]
