"""Mailer portal: service links per list, API keys, allowed networks. Django auth, axes."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from consent.selectors.compliance import honouring_status_for_mailer
from lists.keys import issue_api_key, revoke_api_key
from lists.models import Mailer, MailerApiKey
from lists.selectors import (
    access_for_list,
    accesses_for_mailer,
    api_keys_for_mailer,
    networks_for_mailer,
)
from lists.services import absolute, service_links
from preferences.forms import ApiKeyForm


def _mailer(request: HttpRequest, mailer_id: int) -> Mailer:
    """The mailer, if this user is one of its people; 404 otherwise (nothing revealed)."""
    return get_object_or_404(Mailer, pk=mailer_id, users=request.user.pk)


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    mailers = [
        {
            "mailer": mailer,
            "accesses": accesses_for_mailer(mailer=mailer),
            "networks": networks_for_mailer(mailer=mailer),
        }
        for mailer in Mailer.objects.filter(users=request.user.pk).order_by("name")
    ]
    return render(request, "portal/home.html", {"mailers": mailers})


@require_GET
@login_required
def list_links(request: HttpRequest, mailer_id: int, list_uuid: UUID) -> HttpResponse:
    mailer = _mailer(request, mailer_id)
    access = access_for_list(mailer=mailer, list_uuid=list_uuid)
    if access is None:
        raise Http404
    kwargs = {"list_uuid": access.mailing_list.uuid}
    report_url = absolute(reverse("api:report-opt-outs", kwargs=kwargs))
    downloads = {
        digest: absolute(reverse("api:download", kwargs={**kwargs, "digest": digest}))
        for digest in ("plain", "md5", "sha256")
    }
    context = {
        "mailer": mailer,
        "access": access,
        "mailing_list": access.mailing_list,
        "links": service_links(mailing_list=access.mailing_list, access=access),
        "statuses": honouring_status_for_mailer(mailer, mailing_list=access.mailing_list),
        "report_url": report_url,
        "downloads": downloads,
        "report_curl": (
            f'curl -X POST "{report_url}" \\\n'
            '  -H "Authorization: Api-Key $OPTOUT_API_KEY" \\\n'
            '  -H "Content-Type: application/json" \\\n'
            """  -d '{"emails": ["person@example.com"]}'"""
        ),
        "download_curl": (
            f'curl -H "Authorization: Api-Key $OPTOUT_API_KEY" \\\n'
            f'  "{downloads["sha256"]}?gzip=1" -o suppressions.txt.gz'
        ),
    }
    return render(request, "portal/list_links.html", context)


@never_cache  # the response to a POST carries the clear key: never store it anywhere
@require_http_methods(["GET", "POST"])
@login_required
def api_keys(request: HttpRequest, mailer_id: int) -> HttpResponse:
    mailer = _mailer(request, mailer_id)
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _, new_key = issue_api_key(mailer=mailer, name=form.cleaned_data["name"])
        form = ApiKeyForm()
    context = {
        "mailer": mailer,
        "keys": api_keys_for_mailer(mailer=mailer),
        "form": form,
        "new_key": new_key,
    }
    return render(request, "portal/api_keys.html", context)


@require_POST
@login_required
def revoke_key(request: HttpRequest, mailer_id: int, prefix: str) -> HttpResponse:
    mailer = _mailer(request, mailer_id)
    api_key = get_object_or_404(MailerApiKey, mailer=mailer, prefix=prefix)
    if revoke_api_key(api_key=api_key):
        messages.success(request, _("The key “%(name)s” is revoked.") % {"name": api_key.name})
    return redirect("portal:api-keys", mailer_id=mailer.pk)
