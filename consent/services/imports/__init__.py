"""Import unsubscribed addresses exported from other ESPs into one list.

Two passes. The first reads the file (streamed, any size), detects the format from the
header, validates every row in Python and streams the usable ones into a temporary staging
table (PostgreSQL `COPY`, SQLite `executemany`); it runs outside any transaction and writes
nothing that outlives the session. The second runs in one durable transaction: a few
set-based statements dedup the rows and add the contacts, the suppressions and one event per
new suppression (`ON CONFLICT DO NOTHING`: a second import of the same file adds nothing).
The import commits whole or not at all, and memory stays flat whatever the file's size.

Events keep the original unsubscribe time as `occurred_at`, source `import`, and the file
name in `detail`. An import queues no webhooks: these opt-outs are history the old ESP
already honours, and a million-row file must not flood every receiver.

Modules: `formats` (the exports we know, times), `parsing` (pass 1), `staging` (the
temporary table), `writing` (pass 2), `loading` (one import), `jobs` (admin uploads).
"""

from consent.services.imports.formats import (
    FORMATS,
    ImportFileUnreadable,
    detect_format,
    parse_time,
)
from consent.services.imports.jobs import create_import_job, run_import_job
from consent.services.imports.loading import import_suppressions
from consent.services.imports.parsing import ImportResult, Reject

__all__ = [
    "FORMATS",
    "ImportFileUnreadable",
    "ImportResult",
    "Reject",
    "create_import_job",
    "detect_format",
    "import_suppressions",
    "parse_time",
    "run_import_job",
]
