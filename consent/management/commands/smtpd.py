"""`manage.py smtpd --host --port`: an SMTP server that only accepts unsubscribe mail.

It accepts `unsubscribe+<token>@<OPTOUT_MAILTO_DOMAIN or the public host>` and refuses every
other recipient (no relaying); each accepted message goes to `process_mailto`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from consent.services.mailto import accepts_recipient, process_mailto

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 1024 * 1024


def _process(raw: bytes, recipients: list[str], sender: str | None) -> None:
    close_old_connections()  # a long-lived server: drop connections the database closed
    try:
        process_mailto(raw, recipients=recipients, envelope_sender=sender)
    finally:
        close_old_connections()


class UnsubscribeHandler:
    async def handle_RCPT(  # noqa: N802  # aiosmtpd's hook name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if not accepts_recipient(address):
            return "550 5.7.1 Relaying denied: this server only takes unsubscribe requests"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802  # aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        if isinstance(raw, str):
            raw = raw.encode()
        await sync_to_async(_process, thread_sensitive=False)(
            raw, list(envelope.rcpt_tos), envelope.mail_from
        )
        # Accepted whatever we did with it: a refusal would only make the sender retry.
        return "250 OK: received"


def make_controller(*, host: str, port: int) -> Controller:
    return Controller(
        UnsubscribeHandler(),
        hostname=host,
        port=port,
        data_size_limit=MAX_MESSAGE_BYTES,
        decode_data=False,
    )


class Command(BaseCommand):
    help = "Run an SMTP server that receives mailto unsubscribe requests."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8025)

    def handle(self, *args: object, host: str, port: int, **options: object) -> None:
        controller = make_controller(host=host, port=port)
        controller.start()
        self.stdout.write(f"Receiving unsubscribe mail on {host}:{port}")
        try:
            asyncio.run(_forever())
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()


async def _forever() -> None:
    await asyncio.Event().wait()
