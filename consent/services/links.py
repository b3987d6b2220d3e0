"""Per-recipient links and List-Unsubscribe headers for a mailer's batch of addresses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from consent.addresses import Address, InvalidAddress, parse_address
from consent.linkcrypto import clean_campaign, landing_page_url
from consent.services.contacts import contacts_for_addresses
from consent.tokens import make_token
from lists.models import MailerAccess
from lists.services import RecipientLinks, recipient_links


@dataclass(frozen=True)
class RecipientResult:
    email: str  # as the mailer sent it, so it can match its own rows
    token: str
    links: RecipientLinks


@dataclass(frozen=True)
class LinksResult:
    recipients: list[RecipientResult]
    invalid: list[str]


def links_for_addresses(
    *,
    access: MailerAccess,
    addresses: Sequence[str],
    campaign: Mapping[str, object] | None = None,
) -> LinksResult:
    """Tokens and links for each address; the tokens name the mailer, so opt-outs do too.

    Unknown addresses become contacts (a token carries ids, never the address); this writes
    no consent. On a list with a landing page, the unsubscribe link is that page with
    encrypted `params`/`pid` carrying the `campaign` fields. Raises InvalidCampaignFields.
    """
    # Checked even for a list without a landing page: the answer must not depend on it.
    campaign = clean_campaign(campaign)
    parsed: list[tuple[str, Address]] = []
    invalid: list[str] = []
    for raw in addresses:
        try:
            parsed.append((raw, parse_address(raw)))
        except InvalidAddress:
            invalid.append(raw)
    contacts = contacts_for_addresses(addresses=[address for _, address in parsed])
    mailing_list = access.mailing_list
    recipients = []
    for raw, address in parsed:
        token = make_token(
            contact=contacts[address.sha256], mailing_list=mailing_list, mailer=access.mailer
        )
        recipients.append(
            RecipientResult(
                email=raw,
                token=token,
                links=recipient_links(
                    mailing_list=mailing_list,
                    token=token,
                    landing_page=landing_page_url(
                        contact=contacts[address.sha256],
                        mailing_list=mailing_list,
                        mailer=access.mailer,
                        campaign=campaign,
                    ),
                ),
            )
        )
    return LinksResult(recipients=recipients, invalid=invalid)
