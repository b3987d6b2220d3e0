"""Reads of the consent app, one module per topic (`downloads`, `compliance`, `evidence`,
`reports`).

Selectors never write; pages, exports and the API read through them so that fetching is
decided once (select_related, values, aggregates) and no caller loops into N+1.
"""

from consent.selectors.downloads import (
    Digest,
    suppression_download_blocks,
    suppressions_in_scope,
)

__all__ = [
    "Digest",
    "suppression_download_blocks",
    "suppressions_in_scope",
]
