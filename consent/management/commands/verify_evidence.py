"""Check a saved evidence copy (JSON export or printable page) against its content hash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from consent.selectors.evidence import verification_of


class Command(BaseCommand):
    help = "Verify a saved evidence copy: exit 0 when it is unchanged and signed here."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the saved .json export or printable .html page")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(
                f"Cannot read {path}: {exc}. Give the path of a saved copy."
            ) from exc
        result = verification_of(text)
        if not result.found:
            raise CommandError(f"{path} holds no evidence document with a content hash.")
        if not result.intact:
            raise CommandError(
                f"{path} was altered: its content no longer matches {result.content_hash}."
            )
        if not result.issued_here:
            raise CommandError(
                f"{path} matches {result.content_hash}, but its signature is not this "
                "installation's (another SECRET_KEY, or a forged copy)."
            )
        self.stdout.write(f"valid: {result.content_hash}")
