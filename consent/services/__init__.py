"""The only code that writes consent, one module per topic; the public API is re-exported here.

Callers write `from consent.services import unsubscribe`. Topic modules: `core` (opt-out,
opt-in, the event), and one module per later capability (imports, mailto, webhooks, ...).
"""

from consent.services import esp, imports, journey, mailto, one_click, rollup, webhooks
from consent.services.compliance import (
    Erasure,
    forget_contact,
    record_download,
    send_honouring_digests,
)
from consent.services.core import (
    Outcome,
    contact_for_address,
    is_suppressed,
    record_event,
    record_opt_in,
    record_opt_out,
    resubscribe,
    unsubscribe,
    unsubscribe_address,
    unsubscribe_token,
)
from consent.services.esp import EspOptOut, record_esp_opt_outs
from consent.services.imports import ImportResult, import_suppressions
from consent.services.links import LinksResult, links_for_addresses
from consent.services.mailto import MailtoResult, process_mailto
from consent.services.one_click import receive_one_click
from consent.services.preferences import PreferencesSaved, set_preferences
from consent.services.reports import ReportResult, ScrubResult, report_opt_outs, scrub
from consent.services.webhooks import queue_webhooks, send_delivery, sweep_webhooks

__all__ = [
    "Erasure",
    "EspOptOut",
    "ImportResult",
    "LinksResult",
    "MailtoResult",
    "Outcome",
    "PreferencesSaved",
    "ReportResult",
    "ScrubResult",
    "contact_for_address",
    "esp",
    "forget_contact",
    "import_suppressions",
    "imports",
    "is_suppressed",
    "journey",
    "links_for_addresses",
    "mailto",
    "one_click",
    "process_mailto",
    "queue_webhooks",
    "receive_one_click",
    "record_download",
    "record_esp_opt_outs",
    "record_event",
    "record_opt_in",
    "record_opt_out",
    "report_opt_outs",
    "resubscribe",
    "rollup",
    "scrub",
    "send_delivery",
    "send_honouring_digests",
    "set_preferences",
    "sweep_webhooks",
    "unsubscribe",
    "unsubscribe_address",
    "unsubscribe_token",
    "webhooks",
]
