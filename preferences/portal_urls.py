"""Mailer portal. SCAFFOLD: replaced by the mailers work (issue 6)."""

from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path


def _pending(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


urlpatterns = [
    path("", _pending, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="admin/login.html"), name="login"),
]
