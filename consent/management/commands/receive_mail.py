"""`manage.py receive_mail`: one RFC 5322 message on stdin, as an MTA pipe delivers it.

Exit status 0 whatever the message held: an MTA must not bounce an ignored auto-reply.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from consent.services.mailto import process_mailto


class Command(BaseCommand):
    help = "Read one mail message on standard input and act on a mailto unsubscribe."

    def handle(self, *args: object, **options: object) -> None:
        raw = sys.stdin.buffer.read()
        result = process_mailto(raw)
        self.stdout.write(result.outcome.value)
