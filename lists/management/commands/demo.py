"""`manage.py demo`: create the demo lists, mailer and logins (idempotent).

`--api-key` also issues a new API key for the demo mailer and prints it (the one thing that
changes on every run: keys are stored hashed, so an old one cannot be shown again). With
`-v 0` only the key is printed: `KEY=$(manage.py demo --api-key -v 0)`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lists.demo import issue_demo_api_key, seed_demo


class Command(BaseCommand):
    help = "Create demo lists, a demo mailer and demo logins. Running it again changes nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DJANGO_DEBUG off (the demo passwords are public).",
        )
        parser.add_argument(
            "--migrate",
            action="store_true",
            help="Apply pending migrations first (make run: one start-up instead of two).",
        )
        parser.add_argument(
            "--api-key",
            action="store_true",
            help="Also issue a new API key for demo-mailer and print it (alone with -v 0).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "The demo creates logins with public passwords. Run it with DJANGO_DEBUG=true "
                "on a development machine, or pass --force if you really mean it."
            )
        if options["migrate"]:
            call_command("migrate", interactive=False, verbosity=options["verbosity"])
        logins = seed_demo()
        key = issue_demo_api_key() if options["api_key"] else None
        if key is not None and options["verbosity"] == 0:
            self.stdout.write(key)  # for scripts: the key and nothing else
            return
        base = settings.OPTOUT_PUBLIC_URL
        self.stdout.write("Demo data is ready: lists demo-newsletter and demo-transactional.")
        self.stdout.write("Demo logins (demo passwords, published here; do not expose them):")
        for login in logins:
            where = "/portal/" if login.role == "mailer" else "/admin/"
            note = "" if login.created else "  (existing user: password unchanged since creation)"
            self.stdout.write(
                f"  {login.role:<10} {base}{where:<9} user {login.username:<9} "
                f"password {login.password}{note}"
            )
        if key is not None:
            self.stdout.write(
                f"API key for demo-mailer (store it now, it cannot be shown again): {key}"
            )
