"""The only code that writes consent, one module per topic; the public API is re-exported here.

Callers write `from consent.services import unsubscribe`. Topic modules: `core` (opt-out,
opt-in, the event), and one module per later capability (imports, mailto, webhooks, ...).
"""

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
)
from consent.services.links import LinksResult, links_for_addresses
from consent.services.reports import ReportResult, ScrubResult, report_opt_outs, scrub

__all__ = [
    "LinksResult",
    "Outcome",
    "ReportResult",
    "ScrubResult",
    "contact_for_address",
    "is_suppressed",
    "links_for_addresses",
    "record_event",
    "record_opt_in",
    "record_opt_out",
    "report_opt_outs",
    "resubscribe",
    "scrub",
    "unsubscribe",
    "unsubscribe_address",
]
