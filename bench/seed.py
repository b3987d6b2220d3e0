"""Data the bench needs, on the bench's own database: `python -m bench.seed TOKENS_FILE N`.

A list with N contacts and one signed one-click token per contact (written one a line to
TOKENS_FILE, for the wrk scripts), and the baseline view's table. Prints a JSON summary.
Bench-only: `manage.py demo` serves people, this serves the load generator.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.contrib.auth.models import Group  # noqa: E402  # after django.setup()
from django.db import connection, transaction  # noqa: E402

from bench.views import CREATE_TABLE  # noqa: E402
from consent.addresses import hash_address  # noqa: E402
from consent.models import Contact  # noqa: E402
from consent.tokens import make_token  # noqa: E402
from lists.models import MailingList  # noqa: E402

LIST_SLUG = "bench-newsletter"
BATCH = 5000


def contact_address(number: int) -> str:
    return f"bench-{number:07d}@example.com"


def seed(tokens_file: Path, count: int) -> dict[str, object]:
    with connection.cursor() as cursor:
        cursor.execute(CREATE_TABLE)
    team, _ = Group.objects.get_or_create(name="bench")
    mailing_list, _ = MailingList.objects.get_or_create(
        slug=LIST_SLUG, defaults={"name": "Bench newsletter", "team": team}
    )
    for start in range(0, count, BATCH):
        addresses = [
            hash_address(contact_address(n)) for n in range(start, min(count, start + BATCH))
        ]
        with transaction.atomic():
            Contact.objects.bulk_create(
                [Contact(address=a.normalized, md5=a.md5, sha256=a.sha256) for a in addresses],
                ignore_conflicts=True,
            )
    contacts = Contact.objects.filter(address__startswith="bench-").order_by("pk")[:count]
    with tokens_file.open("w") as out:
        written = 0
        for contact in contacts.iterator(chunk_size=BATCH):
            out.write(make_token(contact=contact, mailing_list=mailing_list) + "\n")
            written += 1
    return {"list": LIST_SLUG, "list_id": mailing_list.pk, "contacts": written}


if __name__ == "__main__":
    print(json.dumps(seed(Path(sys.argv[1]), int(sys.argv[2]))))
