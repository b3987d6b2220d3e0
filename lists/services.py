"""Every public link and List-Unsubscribe header is built here, from URL names and one base URL.

Per-address links take an opaque token string that `consent` signs and hands in; `lists`
never signs or reads tokens itself. Templates for mailers pass a placeholder instead
(`{token}`, `{email}`), which is kept literally in the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from lists.models import JourneyIntegration, MailerAccess, MailingList, RedirectValue
from lists.selectors import ThankYou

TOKEN_PLACEHOLDER = "{token}"  # noqa: S105  # a template marker, not a secret
EMAIL_PLACEHOLDER = "{email}"
PARAMS_PLACEHOLDER = "{params}"
PID_PLACEHOLDER = "{pid}"
# reverse() percent-encodes braces, so placeholders travel as a sentinel and come back after.
_SENTINEL = "optoutplaceholder0"
ONE_CLICK_POST_VALUE = "List-Unsubscribe=One-Click"


def absolute(path: str) -> str:
    return f"{settings.OPTOUT_PUBLIC_URL}{path}"


def _url(name: str, *, token: str | None = None, **kwargs: object) -> str:
    if token is None:
        return absolute(reverse(name, kwargs=kwargs))
    placeholder = token if token.startswith("{") else None
    path = reverse(name, kwargs={**kwargs, "token": _SENTINEL if placeholder else token})
    return absolute(path.replace(_SENTINEL, placeholder or ""))


def mailto_domain() -> str:
    return settings.OPTOUT_MAILTO_DOMAIN or urlsplit(settings.OPTOUT_PUBLIC_URL).hostname or ""


def mailto_address(*, token: str) -> str:
    return f"{settings.OPTOUT_MAILTO_LOCAL_PART}+{token}@{mailto_domain()}"


def preference_url(*, mailing_list: MailingList, token: str) -> str:
    return _url("preferences:center", token=token)


def hosted_page_url(*, mailing_list: MailingList) -> str:
    return _url("preferences:hosted", list_uuid=mailing_list.uuid)


def direct_link_url(*, mailing_list: MailingList, token: str) -> str:
    return _url("preferences:direct", token=token, list_uuid=mailing_list.uuid)


def direct_link_template(*, mailing_list: MailingList) -> str:
    """The link a mailer fills in itself: the hosted page with the address prefilled."""
    return f"{hosted_page_url(mailing_list=mailing_list)}?email={EMAIL_PLACEHOLDER}"


def one_click_url(*, mailing_list: MailingList, token: str) -> str:
    return _url("preferences:one_click", token=token)


def pixel_url(*, access: MailerAccess) -> str:
    return _url("preferences:pixel", list_uuid=access.mailing_list.uuid, pixel_key=access.pixel_key)


def journey_one_click_url(*, integration: JourneyIntegration) -> str:
    """The customer-managed one-click URL to paste into the platform's channel configuration."""
    return _url("preferences:journey_one_click", endpoint_key=integration.endpoint_key)


# The mail intake recognizes this tag: `unsubscribe+journey-<key>@domain`.
JOURNEY_MAILTO_TAG = "journey-"


def journey_mailto_address(*, integration: JourneyIntegration) -> str:
    """The customer-managed mailto address; mail to it carries the platform's emailParams."""
    return mailto_address(token=f"{JOURNEY_MAILTO_TAG}{integration.endpoint_key}")


def landing_page_link(*, mailing_list: MailingList, params: str, pid: str) -> str | None:
    """The brand's landing page with `params` and `pid` added to its own query string."""
    if not mailing_list.landing_page_url:
        return None
    parts = urlsplit(mailing_list.landing_page_url)
    query = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if name not in ("params", "pid")
    ]
    query += [("params", params), ("pid", pid)]
    # Braces stay literal so a template's placeholders survive; encrypted values have none.
    return urlunsplit(parts._replace(query=urlencode(query, safe="{}")))


def pixel_snippet(*, access: MailerAccess) -> str:
    src = f"{pixel_url(access=access)}?email={EMAIL_PLACEHOLDER}"
    return f'<img src="{src}" width="1" height="1" alt="" style="display:none">'


def thank_you_redirect(*, thank_you: ThankYou, address: str | None, md5: str | None) -> str:
    """The redirect URL after an opt-out, with the configured value appended to its query.

    Parameters already in the URL are kept in their order (one of the same name is replaced,
    so a stale value cannot ride along). Without an address (a forged link, an erased
    contact) the URL goes out without the value rather than with an empty one.
    """
    value = {RedirectValue.EMAIL.value: address, RedirectValue.MD5.value: md5}.get(
        thank_you.redirect_value
    )
    if not value or not thank_you.redirect_parameter:
        return thank_you.redirect_url
    parts = urlsplit(thank_you.redirect_url)
    query = [
        (name, existing)
        for name, existing in parse_qsl(parts.query, keep_blank_values=True)
        if name != thank_you.redirect_parameter
    ]
    query.append((thank_you.redirect_parameter, value))
    return urlunsplit(parts._replace(query=urlencode(query)))


@dataclass(frozen=True)
class Headers:
    """List-Unsubscribe header values; both None for transactional lists."""

    list_unsubscribe: str | None
    list_unsubscribe_post: str | None

    def as_dict(self) -> dict[str, str]:
        headers = {}
        if self.list_unsubscribe:
            headers["List-Unsubscribe"] = self.list_unsubscribe
        if self.list_unsubscribe_post:
            headers["List-Unsubscribe-Post"] = self.list_unsubscribe_post
        return headers


def unsubscribe_headers(*, mailing_list: MailingList, token: str) -> Headers:
    """RFC 2369 / RFC 8058 header values: `<mailto:…>, <https://…>` and the POST marker."""
    if mailing_list.transactional:
        return Headers(list_unsubscribe=None, list_unsubscribe_post=None)
    uris = []
    if mailing_list.mailto_enabled:
        uris.append(f"mailto:{mailto_address(token=token)}?subject=unsubscribe")
    if mailing_list.one_click_enabled:
        uris.append(one_click_url(mailing_list=mailing_list, token=token))
    else:
        # Without one-click, the https URI leads to a page that asks before acting.
        uris.append(direct_link_url(mailing_list=mailing_list, token=token))
    return Headers(
        list_unsubscribe=", ".join(f"<{uri}>" for uri in uris),
        list_unsubscribe_post=ONE_CLICK_POST_VALUE if mailing_list.one_click_enabled else None,
    )


@dataclass(frozen=True)
class RecipientLinks:
    preference_url: str
    unsubscribe_url: str
    one_click_url: str | None
    mailto: str | None
    headers: Headers

    def as_dict(self) -> dict[str, object]:
        return {
            "preference_url": self.preference_url,
            "unsubscribe_url": self.unsubscribe_url,
            "one_click_url": self.one_click_url,
            "mailto": self.mailto,
            "headers": self.headers.as_dict(),
        }


def recipient_links(
    *, mailing_list: MailingList, token: str, landing_page: str | None = None
) -> RecipientLinks:
    """Every link for one recipient (or, with a placeholder token, the template of them).

    `landing_page` is the recipient's link to the brand's own page (`consent` encrypts its
    parameters); when given, it is the unsubscribe link. The headers stay on Optout: RFC 8058
    one-click must reach the endpoint that records the opt-out.
    """
    return RecipientLinks(
        preference_url=preference_url(mailing_list=mailing_list, token=token),
        unsubscribe_url=landing_page or direct_link_url(mailing_list=mailing_list, token=token),
        one_click_url=one_click_url(mailing_list=mailing_list, token=token)
        if mailing_list.one_click_enabled
        else None,
        mailto=f"mailto:{mailto_address(token=token)}" if mailing_list.mailto_enabled else None,
        headers=unsubscribe_headers(mailing_list=mailing_list, token=token),
    )


@dataclass(frozen=True)
class ServiceLink:
    label: str | Promise
    value: str
    help: str | Promise = ""


def service_links(
    *, mailing_list: MailingList, access: MailerAccess | None = None
) -> list[ServiceLink]:
    """What a marketer or a mailer pastes into their tools, for one list."""
    templates = recipient_links(mailing_list=mailing_list, token=TOKEN_PLACEHOLDER)
    uuid = mailing_list.uuid
    links = [
        ServiceLink(_("Hosted opt-out page"), hosted_page_url(mailing_list=mailing_list)),
        ServiceLink(
            _("Direct link template"),
            direct_link_template(mailing_list=mailing_list),
            _("Replace {email} with the URL-encoded address."),
        ),
        ServiceLink(
            _("Direct link (per recipient)"),
            templates.unsubscribe_url,
            _("{token} comes from the links API or `manage.py links`."),
        ),
        ServiceLink(_("Preference center template"), templates.preference_url),
    ]
    if templates.one_click_url:
        links.append(ServiceLink(_("One-click URL template (RFC 8058)"), templates.one_click_url))
    if templates.mailto:
        links.append(ServiceLink(_("Mailto address template"), templates.mailto))
    if templates.headers.list_unsubscribe:
        links.append(ServiceLink(_("List-Unsubscribe header"), templates.headers.list_unsubscribe))
    if templates.headers.list_unsubscribe_post:
        links.append(
            ServiceLink(_("List-Unsubscribe-Post header"), templates.headers.list_unsubscribe_post)
        )
    links += [
        ServiceLink(
            _("Server-to-server opt-out endpoint (POST)"),
            _url("api:report-opt-outs", list_uuid=uuid),
        ),
        ServiceLink(_("Scrub endpoint (POST)"), _url("api:scrub", list_uuid=uuid)),
    ]
    for digest, label in (
        ("plain", _("Suppression download (addresses)")),
        ("md5", _("Suppression download (MD5)")),
        ("sha256", _("Suppression download (SHA-256)")),
    ):
        links.append(ServiceLink(label, _url("api:download", list_uuid=uuid, digest=digest)))
    if access is not None:
        links.append(ServiceLink(_("Pixel snippet"), pixel_snippet(access=access)))
    if mailing_list.landing_page_url:
        links.append(
            ServiceLink(
                _("Landing page link template"),
                landing_page_link(
                    mailing_list=mailing_list, params=PARAMS_PLACEHOLDER, pid=PID_PLACEHOLDER
                )
                or "",
                _(
                    "Optout fills in encrypted params and pid; the page reads them through the "
                    "decrypt API."
                ),
            )
        )
    links += journey_service_links(mailing_list=mailing_list)
    return links


def journey_service_links(*, mailing_list: MailingList) -> list[ServiceLink]:
    """Customer-managed endpoints of the list's active journey platform integrations."""
    links = []
    for integration in mailing_list.journey_integrations.filter(active=True).order_by("name"):
        links += [
            ServiceLink(
                _("%(name)s: customer-managed one-click unsubscribe URL (POST)")
                % {"name": integration.name},
                journey_one_click_url(integration=integration),
                _('Paste it into the channel configuration, "Customer managed" option.'),
            ),
            ServiceLink(
                _("%(name)s: customer-managed mailto (unsubscribe) address")
                % {"name": integration.name},
                journey_mailto_address(integration=integration),
                _("Mail to it carries emailParams, decrypted the same way."),
            ),
        ]
    return links
