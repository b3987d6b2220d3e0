"""Print one recipient's links and List-Unsubscribe header values as JSON."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from consent.addresses import InvalidAddress
from consent.services import contact_for_address
from consent.tokens import links_for
from lists.models import Mailer, MailerAccess, MailingList


class Command(BaseCommand):
    help = (
        "Print the preference, unsubscribe, one-click and mailto links and the header values "
        "for one address on one list, as JSON. Creates the contact if it is new."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--list", required=True, help="Slug of the list.")
        parser.add_argument("--email", required=True, help="The recipient's address.")
        parser.add_argument(
            "--mailer", default=None, help="Name of the mailer the links are signed for."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug: str = options["list"]
        email: str = options["email"]
        mailer: str | None = options["mailer"]
        mailing_list = MailingList.objects.filter(slug=slug).first()
        if mailing_list is None:
            known = ", ".join(MailingList.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(f"No list with slug {slug!r}. Known slugs: {known or 'none'}.")
        sender = self._mailer(name=mailer, mailing_list=mailing_list) if mailer else None
        try:
            contact = contact_for_address(address=email)
        except InvalidAddress as exc:
            raise CommandError(
                f"{email!r}: {exc.text} Pass one address, like jane@example.com."
            ) from exc
        links = links_for(contact=contact, mailing_list=mailing_list, mailer=sender)
        output = {
            "list": mailing_list.slug,
            "email": contact.address,
            "mailer": sender.name if sender else None,
            **links.as_dict(),
        }
        self.stdout.write(json.dumps(output, indent=2, ensure_ascii=False))

    def _mailer(self, *, name: str, mailing_list: MailingList) -> Mailer:
        found = Mailer.objects.filter(name=name).first()
        if found is None:
            raise CommandError(f"No mailer named {name!r}. Check the name in the admin.")
        if not MailerAccess.objects.filter(mailer=found, mailing_list=mailing_list).exists():
            raise CommandError(
                f"Mailer {name!r} has no access to list {mailing_list.slug!r}. "
                "Give it access in the admin first."
            )
        return found
