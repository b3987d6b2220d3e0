"""RFC 8058 one-click bodies, parsed leniently.

Mail providers send `List-Unsubscribe=One-Click` as application/x-www-form-urlencoded or
multipart/form-data. The RFC's own multipart example is malformed (its delimiter lines lack
the leading "--"), and senders copy it, so the multipart reader below looks for the part by
its Content-Disposition and never trusts the boundary. Django's strict parser would reject
exactly the bodies real clients send.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

FIELD = ("List-Unsubscribe", "One-Click")  # what a browser form posts to mean the same
KEY = "list-unsubscribe"
VALUE = "one-click"
MAX_BODY_BYTES = 8192  # the real body is 26 bytes; a multipart one stays well under 1 KiB

_DISPOSITION = re.compile(
    r"^content-disposition\s*:\s*form-data\s*;.*\bname\s*=\s*\"?list-unsubscribe\"?\s*(;|$)",
    re.IGNORECASE,
)


def _matches(value: str) -> bool:
    return value.strip().lower() == VALUE


def _urlencoded(text: str) -> bool:
    return any(
        name.strip().lower() == KEY and _matches(value)
        for name, value in parse_qsl(text.strip(), keep_blank_values=True)
    )


def _multipart(text: str) -> bool:
    lines = text.replace("\r\n", "\n").split("\n")
    for index, line in enumerate(lines):
        if not _DISPOSITION.match(line.strip()):
            continue
        rest = lines[index + 1 :]
        # The part's other headers run up to the first blank line; its value follows.
        try:
            start = next(i for i, header in enumerate(rest) if not header.strip()) + 1
        except StopIteration:
            return False
        value = []
        for candidate in rest[start:]:
            if candidate.startswith("--"):  # any delimiter, well-formed or not
                break
            value.append(candidate)
        if _matches("\n".join(value)):
            return True
    return False


def is_one_click_body(*, content_type: str, body: bytes) -> bool:
    """Does this POST body say `List-Unsubscribe=One-Click`, in either content type?"""
    if not body or len(body) > MAX_BODY_BYTES:
        return False
    text = body.decode("utf-8", errors="replace")
    if content_type.split(";", 1)[0].strip().lower() == "multipart/form-data":
        return _multipart(text)
    # Missing or odd content types still get the form reading: leniency costs nothing here,
    # since the body must name the one-click value exactly.
    return _urlencoded(text) or _multipart(text)
