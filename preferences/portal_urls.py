"""Mailer portal (`/portal/`): login, service links per list, API keys, allowed networks."""

from django.contrib.auth import views as auth_views
from django.urls import path

from preferences.views import portal

urlpatterns = [
    path("", portal.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="portal/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("<int:mailer_id>/lists/<uuid:list_uuid>/", portal.list_links, name="list-links"),
    path("<int:mailer_id>/keys/", portal.api_keys, name="api-keys"),
    path("<int:mailer_id>/keys/<str:prefix>/revoke/", portal.revoke_key, name="revoke-key"),
]
