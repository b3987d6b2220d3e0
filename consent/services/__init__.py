"""The only code that writes consent, one module per topic; the public API is re-exported here.

Callers write `from consent.services import unsubscribe`. Topic modules: `core` (opt-out,
opt-in, the event), and one module per later capability (imports, mailto, webhooks, ...).
"""

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
)

__all__ = [
    "Erasure",
    "Outcome",
    "contact_for_address",
    "forget_contact",
    "is_suppressed",
    "record_download",
    "record_event",
    "record_opt_in",
    "record_opt_out",
    "resubscribe",
    "send_honouring_digests",
    "unsubscribe",
    "unsubscribe_address",
]
