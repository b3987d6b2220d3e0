"""Reads of the consent app, one module per topic (`compliance`, `evidence`, `reports`).

Selectors never write; pages, exports and the API read through them so that fetching is
decided once (select_related, values, aggregates) and no caller loops into N+1.
"""
