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
from consent.services.preferences import PreferencesSaved, set_preferences

__all__ = [
    "Outcome",
    "PreferencesSaved",
    "contact_for_address",
    "is_suppressed",
    "record_event",
    "record_opt_in",
    "record_opt_out",
    "resubscribe",
    "set_preferences",
    "unsubscribe",
    "unsubscribe_address",
]
