"""Compliance in admin: evidence per contact, honouring deadline, reports, erasure.

Custom admin views (mounted under /admin/consent/ by `urls`), read-only admins for the
download log and the digests, and the "forget" action for the contact admin. Every page and
export shows only the lists of the user's teams (all lists for superusers).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from consent import services
from consent.charts import grouped_bars
from consent.models import ConsentEvent, Contact, DownloadLog, HonouringDigest, Source, Suppression
from consent.origins import Origin
from consent.selectors.compliance import download_logs_for_lists, honouring_statuses, visible_lists
from consent.selectors.evidence import (
    DOCUMENT_ELEMENT_ID,
    contact_for_lookup,
    evidence_document,
    evidence_page,
    signed,
    verification_of,
)
from consent.selectors.reports import TABLE_TITLES, TABLES, Period, report, report_table
from lists.models import MailingList

VIEW_PERMISSION = "consent.view_consentevent"
DEFAULT_REPORT_DAYS = 30
MAX_REPORT_DAYS = 366
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

Staff = User | AnonymousUser


def _lists(request: HttpRequest) -> QuerySet[MailingList]:
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied
    return visible_lists(user=request.user)


def _context(request: HttpRequest, **extra: object) -> dict[str, object]:
    """The admin's page context without its navigation sidebar: the sidebar's app list is
    built from every registered model's permissions on each request (10 to 12 ms), and these
    pages carry their own navigation."""
    # What AdminSite.each_context gives, but the app list.
    script_name = request.META.get("SCRIPT_NAME", "")
    site_url = admin.site.site_url
    return {
        "site_title": admin.site.site_title,
        "site_header": admin.site.site_header,
        "site_url": script_name if site_url == "/" and script_name else site_url,
        "has_permission": admin.site.has_permission(request),
        "available_apps": [],
        "is_popup": False,
        "is_nav_sidebar_enabled": False,
        "log_entries": admin.site.get_log_entries(request),
        **extra,
    }


def _visible_contact(
    request: HttpRequest, contact_id: int
) -> tuple[Contact, QuerySet[MailingList]]:
    """The contact if it touched one of the user's lists; 404 otherwise (reveals nothing)."""
    lists = _lists(request)
    contact = get_object_or_404(Contact, pk=contact_id)
    user = request.user
    # Superusers see every contact: no need to ask which lists it touched.
    touched = user.is_superuser or (
        ConsentEvent.objects.filter(contact=contact, mailing_list__in=lists).exists()
        or Suppression.objects.filter(contact=contact, mailing_list__in=lists).exists()
    )
    if not touched:
        raise Http404
    return contact, lists


def _document(
    request: HttpRequest, contact: Contact, lists: QuerySet[MailingList]
) -> dict[str, Any]:
    return evidence_document(
        contact=contact,
        lists=lists,
        generated_by=request.user.get_username(),
        generated_at=timezone.now(),
    )


def may_forget(*, user: Staff, contact: Contact) -> bool:
    """Superusers, or users who may delete contacts and see every list the contact is on."""
    if not (user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    if not user.has_perm("consent.delete_contact"):
        return False
    mine = visible_lists(user=user)
    return not (
        ConsentEvent.objects.filter(contact=contact).exclude(mailing_list__in=mine).exists()
        or Suppression.objects.filter(contact=contact).exclude(mailing_list__in=mine).exists()
    )


# Evidence ---------------------------------------------------------------------------------


class EvidenceSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Address, MD5 or SHA-256"),
        max_length=320,
        widget=forms.TextInput(attrs={"autofocus": True, "size": 60}),
    )


@require_GET
def evidence_search(request: HttpRequest) -> HttpResponse:
    lists = _lists(request)
    form = EvidenceSearchForm(request.GET or None)
    not_found = False
    if form.is_valid():
        contact = contact_for_lookup(query=form.cleaned_data["q"], lists=lists)
        if contact is not None:
            return redirect("compliance:evidence", contact_id=contact.pk)
        not_found = True
    return TemplateResponse(
        request,
        "compliance/evidence_search.html",
        _context(request, title=_("Consent evidence"), form=form, not_found=not_found),
    )


def _cursor(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdecimal() and len(value) < 19 else None


@require_GET
def evidence(request: HttpRequest, contact_id: int) -> HttpResponse:
    """One page of the timeline (OPTOUT_EVIDENCE_PAGE_SIZE events, keyset-paginated) with
    the counts of all of them; the JSON and printable exports hold every event."""
    contact, lists = _visible_contact(request, contact_id)
    page = evidence_page(
        contact=contact,
        lists=lists,
        after=_cursor(request, "after"),
        before=_cursor(request, "before"),
        size=settings.OPTOUT_EVIDENCE_PAGE_SIZE,
    )
    return TemplateResponse(
        request,
        "compliance/evidence.html",
        _context(
            request,
            title=_("Consent evidence"),
            contact=contact,
            document=page,
            page=page,
            may_forget=may_forget(user=request.user, contact=contact),
        ),
    )


@require_GET
def evidence_json(request: HttpRequest, contact_id: int) -> JsonResponse:
    contact, lists = _visible_contact(request, contact_id)
    document = signed(_document(request, contact, lists))
    response = JsonResponse(document, json_dumps_params={"indent": 2, "sort_keys": True})
    response["Content-Disposition"] = f'attachment; filename="evidence-{contact.pk}.json"'
    return response


@require_GET
def evidence_print(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact, lists = _visible_contact(request, contact_id)
    document = signed(_document(request, contact, lists))
    return TemplateResponse(
        request,
        "compliance/evidence_print.html",
        {
            "document": document,
            "document_json": json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False),
            "document_element_id": DOCUMENT_ELEMENT_ID,
        },
    )


class VerifyForm(forms.Form):
    copy = forms.FileField(label=_("Saved copy (JSON or printable page)"), required=False)
    text = forms.CharField(label=_("…or paste it here"), widget=forms.Textarea, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("copy") and not data.get("text"):
            raise forms.ValidationError(_("Upload a saved copy or paste its content."))
        return data

    def content(self) -> str:
        upload = self.cleaned_data.get("copy")
        if upload:
            return upload.read().decode("utf-8", errors="replace")
        return str(self.cleaned_data["text"])


@require_http_methods(["GET", "POST"])
def evidence_verify(request: HttpRequest) -> HttpResponse:
    _lists(request)
    form = VerifyForm(request.POST or None, request.FILES or None)
    result = verification_of(form.content()) if form.is_valid() else None
    return TemplateResponse(
        request,
        "compliance/evidence_verify.html",
        _context(request, title=_("Verify an evidence copy"), form=form, result=result),
    )


@require_http_methods(["GET", "POST"])
def evidence_forget(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact, _lists_seen = _visible_contact(request, contact_id)
    if not may_forget(user=request.user, contact=contact):
        raise PermissionDenied
    if request.method == "POST":
        erasure = services.forget_contact(
            contact=contact,
            origin=Origin.from_request(request, source=Source.ADMIN),
            erased_by=request.user.get_username(),
        )
        if erasure.changed:
            messages.success(request, _("The address and its personal traces were erased."))
        else:
            messages.info(request, _("This contact was already erased."))
        return redirect("compliance:evidence", contact_id=contact.pk)
    return TemplateResponse(
        request,
        "compliance/forget_confirm.html",
        _context(request, title=_("Forget this address"), contact=contact),
    )


@admin.action(description=_("Forget the address (keep the opt-out by hash)"))
def forget_contacts(
    modeladmin: admin.ModelAdmin[Contact], request: HttpRequest, queryset: QuerySet[Contact]
) -> None:
    """The contact admin's action: erase each selected contact."""
    erased = refused = 0
    for contact in queryset.order_by("pk"):
        if not may_forget(user=request.user, contact=contact):
            refused += 1
            continue
        outcome = services.forget_contact(
            contact=contact,
            origin=Origin.from_request(request, source=Source.ADMIN),
            erased_by=request.user.get_username(),
        )
        erased += int(outcome.changed)
    modeladmin.message_user(request, _("%(count)d contacts erased.") % {"count": erased})
    if refused:
        modeladmin.message_user(
            request,
            _("%(count)d contacts are also on lists of other teams: ask a superuser.")
            % {"count": refused},
            messages.WARNING,
        )


# Honouring deadline ------------------------------------------------------------------------


@require_GET
def honouring(request: HttpRequest) -> HttpResponse:
    statuses = honouring_statuses(lists=_lists(request))
    return TemplateResponse(
        request,
        "compliance/honouring.html",
        _context(
            request,
            title=_("Opt-out honouring deadline"),
            late=[status for status in statuses if status.late],
            on_time=[status for status in statuses if not status.late],
            now=timezone.now(),
        ),
    )


# Reports ------------------------------------------------------------------------------------


class ReportForm(forms.Form):
    mailing_list = forms.ModelChoiceField(
        label=_("List"),
        queryset=MailingList.objects.none(),
        required=False,
        empty_label=_("All my lists"),
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput({"type": "date"}))

    def __init__(self, *args: Any, lists: QuerySet[MailingList], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mailing_list"].queryset = lists  # type: ignore[attr-defined]  # ModelChoiceField

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        default = Period.last_days(DEFAULT_REPORT_DAYS)
        start, end = data.get("start") or default.start, data.get("end") or default.end
        if start > end:
            raise forms.ValidationError(_("The period ends before it starts."))
        if (end - start).days >= MAX_REPORT_DAYS:
            raise forms.ValidationError(
                _("Choose a period of at most %(days)d days.") % {"days": MAX_REPORT_DAYS}
            )
        data["period"] = Period(start=start, end=end)
        return data


def _report_scope(request: HttpRequest) -> tuple[ReportForm, QuerySet[MailingList], Period]:
    lists = _lists(request)
    default = Period.last_days(DEFAULT_REPORT_DAYS)
    form = ReportForm(
        request.GET or None, lists=lists, initial={"start": default.start, "end": default.end}
    )
    if not request.GET:
        return form, lists, default
    if not form.is_valid():
        return form, lists.none(), Period.last_days(DEFAULT_REPORT_DAYS)
    chosen = form.cleaned_data.get("mailing_list")
    return form, lists.filter(pk=chosen.pk) if chosen else lists, form.cleaned_data["period"]


@require_GET
def reports(request: HttpRequest) -> HttpResponse:
    form, lists, period = _report_scope(request)
    found = report(lists=lists, period=period)
    tables = [
        {"name": name, "title": TABLE_TITLES[name], "rows": found.table(name)} for name in TABLES
    ]
    return TemplateResponse(
        request,
        "compliance/reports.html",
        _context(
            request,
            title=_("Opt-out reports"),
            form=form,
            period=period,
            tables=tables,
            chart=grouped_bars(found.days),
            query=request.GET.urlencode(),
        ),
    )


class _Echo:
    """csv.writer writes to this, and each row comes back as a string to stream."""

    def write(self, value: str) -> str:
        return value


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


@require_GET
def report_csv(request: HttpRequest, table: str) -> StreamingHttpResponse:
    if table not in TABLES:
        raise Http404
    form, lists, period = _report_scope(request)
    if form.is_bound and not form.is_valid():
        raise Http404
    rows = report_table(table=table, lists=lists, period=period)
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(
            [str(_("Key")), str(_("Label")), str(_("Opt-outs")), str(_("Opt-ins"))]
        )
        for row in rows:
            yield writer.writerow([_cell(row.key), _cell(row.label), row.opt_outs, row.opt_ins])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = f"optout-{table}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# Read-only admins ---------------------------------------------------------------------------


class _ScopedReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(DownloadLog)
class DownloadLogAdmin(_ScopedReadOnly):
    list_display = [
        "requested_at",
        "mailer",
        "mailing_list",
        "kind",
        "format",
        "since",
        "rows",
        "covered_until",
    ]
    list_filter = ["kind", "format"]
    list_select_related = ["mailer", "mailing_list"]
    raw_id_fields = ["covered_event"]
    date_hierarchy = "requested_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[DownloadLog]:
        return download_logs_for_lists(lists=visible_lists(user=request.user))


@admin.register(HonouringDigest)
class HonouringDigestAdmin(_ScopedReadOnly):
    list_display = ["day", "mailing_list", "late_mailers", "recipients", "sent_at"]
    list_select_related = ["mailing_list"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[HonouringDigest]:
        return (
            super().get_queryset(request).filter(mailing_list__in=visible_lists(user=request.user))
        )


def _admin(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    return admin.site.admin_view(view)


app_name = "compliance"
urlpatterns: list[URLPattern] = [
    path("evidence/", _admin(evidence_search), name="evidence_search"),
    path("evidence/verify/", _admin(evidence_verify), name="evidence_verify"),
    path("evidence/<int:contact_id>/", _admin(evidence), name="evidence"),
    path("evidence/<int:contact_id>/evidence.json", _admin(evidence_json), name="evidence_json"),
    path("evidence/<int:contact_id>/print/", _admin(evidence_print), name="evidence_print"),
    path("evidence/<int:contact_id>/forget/", _admin(evidence_forget), name="evidence_forget"),
    path("honouring/", _admin(honouring), name="honouring"),
    path("reports/", _admin(reports), name="reports"),
    path("reports/<slug:table>.csv", _admin(report_csv), name="report_csv"),
]
# include(("consent.admin_compliance", "compliance")) mounts these under /admin/consent/.
urls = (urlpatterns, app_name)
