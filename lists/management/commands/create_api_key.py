"""Issue an API key for a mailer and print it once (for operators, demos and CI)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from lists.errors import InvalidNetwork
from lists.keys import issue_api_key
from lists.models import AllowedNetwork, Mailer, MailerAccess, MailingList
from lists.networks import normalize_network


class Command(BaseCommand):
    help = (
        "Create an API key for a mailer and print it once. Optionally create the mailer, "
        "grant it lists and allow networks."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--mailer", required=True, help="Name of the mailer.")
        parser.add_argument("--name", default="", help="Name of the key (default: cli).")
        parser.add_argument(
            "--create-mailer",
            metavar="TEAM",
            help="Create the mailer if it does not exist, managed by this team (group).",
        )
        parser.add_argument(
            "--grant",
            metavar="LIST_SLUG",
            action="append",
            default=[],
            help="Give the mailer download and notify access to this list (repeatable).",
        )
        parser.add_argument(
            "--allow",
            metavar="CIDR",
            action="append",
            default=[],
            help="Add this network to the mailer's allowlist (repeatable).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            networks = [normalize_network(cidr) for cidr in options["allow"]]
        except InvalidNetwork as exc:
            raise CommandError(f"--allow: {exc.text}") from exc
        lists = []
        for slug in options["grant"]:
            mailing_list = MailingList.objects.filter(slug=slug).first()
            if mailing_list is None:
                raise CommandError(f"--grant: no list with the slug {slug!r}; create it first.")
            lists.append(mailing_list)
        with transaction.atomic():
            mailer = Mailer.objects.filter(name=options["mailer"]).first()
            if mailer is None:
                if not options["create_mailer"]:
                    raise CommandError(
                        f"No mailer named {options['mailer']!r}. Create it in admin, or pass "
                        "--create-mailer TEAM."
                    )
                team, _ = Group.objects.get_or_create(name=options["create_mailer"])
                mailer = Mailer.objects.create(name=options["mailer"], team=team)
            for mailing_list in lists:
                MailerAccess.objects.get_or_create(mailer=mailer, mailing_list=mailing_list)
            for cidr in networks:
                AllowedNetwork.objects.get_or_create(mailer=mailer, cidr=cidr)
            api_key, clear = issue_api_key(mailer=mailer, name=options["name"] or "cli")
        self.stderr.write(
            f"Key {api_key.prefix}… for {mailer}: store it now, it cannot be shown again."
        )
        self.stdout.write(clear)
