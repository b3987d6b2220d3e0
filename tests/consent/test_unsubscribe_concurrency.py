"""Threads on PostgreSQL: concurrent opt-outs meet the unique constraints, not a read first."""

from __future__ import annotations

import threading

from django.db import connection

from consent.models import ConsentEvent, Source, Suppression
from consent.origins import Origin
from consent.services import unsubscribe, unsubscribe_address, unsubscribe_token
from consent.tokens import make_token
from lists.models import ConsentLevel
from tests.consent.factories import ContactFactory
from tests.lists.factories import MailingListFactory

THREADS = 8


def _race(work) -> list[BaseException]:
    """Start every thread at one barrier; return what any of them raised."""
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            work()
        except BaseException as exc:  # noqa: BLE001  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


def test_concurrent_unsubscribes_leave_one_suppression_and_every_event(
    on_postgresql: None,
) -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create()

    errors = _race(
        lambda: unsubscribe(
            contact=contact, mailing_list=newsletter, origin=Origin(source=Source.ONE_CLICK)
        )
    )

    assert errors == []
    assert Suppression.objects.filter(contact=contact, mailing_list=newsletter).count() == 1
    events = ConsentEvent.objects.filter(contact=contact)
    assert events.count() == THREADS
    assert events.filter(changed=True).count() == 1


def test_concurrent_opt_outs_of_a_new_address_make_one_contact(on_postgresql: None) -> None:
    newsletter = MailingListFactory.create()

    errors = _race(
        lambda: unsubscribe_address(
            address="race@example.com",
            mailing_list=newsletter,
            origin=Origin(source=Source.HOSTED_PAGE),
        )
    )

    assert errors == []
    suppression = Suppression.objects.select_related("contact").get()
    assert suppression.contact is not None
    assert suppression.contact.address == "race@example.com"
    assert ConsentEvent.objects.count() == THREADS


def test_concurrent_channel_opt_outs_of_one_person_leave_one_suppression(
    on_postgresql: None,
) -> None:
    addresses = [ContactFactory.create(profile_key="person-1") for _ in range(THREADS)]
    newsletter = MailingListFactory.create(consent_level=ConsentLevel.CHANNEL)
    queue = list(addresses)
    lock = threading.Lock()

    def work() -> None:
        with lock:
            contact = queue.pop()
        unsubscribe(contact=contact, mailing_list=newsletter, origin=Origin(source=Source.API))

    errors = _race(work)

    assert errors == []
    assert Suppression.objects.get().profile_key == "person-1"
    assert ConsentEvent.objects.filter(changed=True).count() == 1
    assert ConsentEvent.objects.count() == THREADS


def test_concurrent_one_clicks_of_one_token_leave_one_suppression_and_every_event(
    on_postgresql: None,
) -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create()
    token = make_token(contact=contact, mailing_list=newsletter)

    errors = _race(lambda: unsubscribe_token(token=token, origin=Origin(source=Source.ONE_CLICK)))

    assert errors == []
    assert Suppression.objects.filter(contact=contact, mailing_list=newsletter).count() == 1
    events = ConsentEvent.objects.filter(contact=contact)
    assert events.count() == THREADS
    assert events.filter(changed=True).count() == 1


def test_concurrent_one_clicks_of_one_person_leave_one_channel_suppression(
    on_postgresql: None,
) -> None:
    newsletter = MailingListFactory.create(consent_level=ConsentLevel.CHANNEL)
    tokens = [
        make_token(contact=ContactFactory.create(profile_key="person-1"), mailing_list=newsletter)
        for _ in range(THREADS)
    ]
    lock = threading.Lock()

    def work() -> None:
        with lock:
            token = tokens.pop()
        unsubscribe_token(token=token, origin=Origin(source=Source.ONE_CLICK))

    errors = _race(work)

    assert errors == []
    assert Suppression.objects.get().profile_key == "person-1"
    assert ConsentEvent.objects.filter(changed=True).count() == 1
    assert set(ConsentEvent.objects.values_list("level", flat=True)) == {ConsentLevel.CHANNEL}
