"""Reads for journey platforms: the consent export.

The export speaks the Experience Platform's XDM "Consents & Preferences" shape, one JSON
object per line, ready for a batch ingestion into the platform's profile dataset.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

from django.conf import settings

from consent.models import Action, ConsentEvent, Scope
from lists.models import MailingList

# Adobe's standard identity namespaces for an address and its lowercase SHA-256.
EMAIL_NAMESPACE = "Email"
HASHED_EMAIL_NAMESPACE = "Email_LC_SHA256"
XDM_VALUE: dict[str, str] = {Action.OPT_OUT.value: "n", Action.OPT_IN.value: "y"}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def consent_changes_for_export(
    *, mailing_list: MailingList, since: datetime | None = None, hashed_only: bool = False
) -> Iterator[str]:
    """Whole-list consent changes Optout learnt since `since`, as XDM JSON lines.

    Only changes (not repeats) of whole-list consent: `consents.marketing.email` is the
    channel's consent, and a category choice has no place in it. Keyed on when Optout
    recorded the change, so an import of old opt-outs is still exported once. One query,
    no model instances: memory stays flat however many rows there are.
    """
    rows = ConsentEvent.objects.filter(
        mailing_list=mailing_list,
        scope=Scope.LIST,
        changed=True,
        action__in=list(XDM_VALUE),
    )
    if since is not None:
        rows = rows.filter(recorded_at__gte=since)
    values = rows.order_by("recorded_at", "pk").values_list(
        "pk",
        "action",
        "occurred_at",
        "source",
        "reason",
        "contact__address",
        "contact__sha256",
        "profile_key",
        "detail__profile_namespace",
    )
    for (
        pk,
        action,
        occurred_at,
        source,
        reason,
        address,
        sha256,
        profile,
        namespace,
    ) in values.iterator(chunk_size=settings.OPTOUT_DOWNLOAD_CHUNK_ROWS):
        identities: dict[str, list[dict[str, object]]] = {}
        if address and not hashed_only:
            identities[EMAIL_NAMESPACE] = [{"id": address, "primary": True}]
        identities[HASHED_EMAIL_NAMESPACE] = [
            {"id": sha256, "primary": EMAIL_NAMESPACE not in identities}
        ]
        if profile and isinstance(namespace, str) and namespace:
            identities[namespace] = [{"id": profile, "primary": False}]
        record = {
            "_id": f"optout-consent-event-{pk}",
            "identityMap": identities,
            "consents": {
                "marketing": {
                    "email": {
                        "val": XDM_VALUE[action],
                        "time": _iso(occurred_at),
                        "reason": reason or source,
                    }
                }
            },
        }
        yield json.dumps(record, separators=(",", ":")) + "\n"
