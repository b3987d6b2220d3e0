from __future__ import annotations

import gzip
import hashlib
import json

import pytest
from django.test import Client

from consent.models import ConsentEvent, Source, Suppression
from consent.tokens import read_token
from lists.models import MailerAccess
from tests.consent.factories import ContactFactory, SuppressionFactory
from tests.lists.factories import CategoryFactory, MailerAccessFactory
from tests.preferences.conftest import Partner

pytestmark = pytest.mark.django_db


def post(client: Client, url: str, body: object, **extra: object):
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


def test_lists_shows_only_the_lists_of_this_key(api: Client, partner: Partner) -> None:
    CategoryFactory.create(mailing_list=partner.mailing_list, slug="news", name="News")
    MailerAccessFactory.create()  # another mailer's list

    response = api.get("/api/v1/lists/")

    assert response.status_code == 200
    [row] = response.json()
    assert row["uuid"] == str(partner.mailing_list.uuid)
    assert row["categories"] == [{"slug": "news", "name": "News"}]
    assert (row["can_download"], row["can_notify"]) == (True, True)
    assert row["direct_link_template"].endswith(f"/u/{partner.mailing_list.uuid}/?email={{email}}")


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("post", "links/"), ("post", "opt-outs/"), ("post", "scrub/"), ("get", "suppressions/md5/")],
)
def test_a_list_the_key_may_not_use_answers_404_like_an_unknown_one(
    api: Client, method: str, suffix: str
) -> None:
    foreign = MailerAccessFactory.create().mailing_list
    body = {"emails": ["a@example.com"], "values": ["a@example.com"]}

    responses = [
        getattr(api, method)(
            f"/api/v1/lists/{uuid}/{suffix}",
            **(
                {"data": json.dumps(body), "content_type": "application/json"}
                if method == "post"
                else {}
            ),
        )
        for uuid in (foreign.uuid, "00000000-0000-4000-8000-000000000000")
    ]

    assert [r.status_code for r in responses] == [404, 404]
    assert responses[0].json()["code"] == responses[1].json()["code"] == "not_found"
    assert responses[0].json()["message"] == responses[1].json()["message"]


def test_links_give_a_token_and_header_values_per_address(api: Client, partner: Partner) -> None:
    response = post(
        api,
        f"/api/v1/lists/{partner.mailing_list.uuid}/links/",
        {"emails": ["Ann@Example.com", "not an address"]},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["invalid"] == ["not an address"]
    [recipient] = body["recipients"]
    assert recipient["email"] == "Ann@Example.com"
    claim = read_token(recipient["token"], list_uuid=partner.mailing_list.uuid)
    assert claim is not None
    assert claim.contact.address == "ann@example.com"
    assert claim.mailer == partner.mailer
    assert recipient["one_click_url"].endswith(f"/o/{recipient['token']}/")
    assert recipient["list_unsubscribe_post"] == "List-Unsubscribe=One-Click"
    assert f"<{recipient['one_click_url']}>" in recipient["list_unsubscribe"]
    assert not Suppression.objects.exists()


def test_links_refuse_more_than_1000_addresses_with_413(api: Client, partner: Partner) -> None:
    emails = [f"p{n}@example.com" for n in range(1001)]

    response = post(api, f"/api/v1/lists/{partner.mailing_list.uuid}/links/", {"emails": emails})

    assert response.status_code == 413
    assert response.json()["code"] == "batch_too_large"


def test_report_suppresses_new_addresses_and_counts_the_rest(api: Client, partner: Partner) -> None:
    known = ContactFactory.create(address="known@example.com")
    SuppressionFactory.create(contact=known, mailing_list=partner.mailing_list)
    emails = ["new@example.com", "NEW@example.com", "known@example.com", "nope", ""]

    response = post(api, f"/api/v1/lists/{partner.mailing_list.uuid}/opt-outs/", {"emails": emails})

    assert response.status_code == 200
    assert response.json() == {
        "received": 5,
        "invalid": 2,
        "duplicates": 1,
        "newly_suppressed": 1,
        "already_suppressed": 1,
    }
    event = ConsentEvent.objects.get()
    assert (event.source, event.mailer, event.contact.address) == (
        Source.S2S,
        partner.mailer,
        "new@example.com",
    )
    assert event.ip == "127.0.0.0"


def test_the_same_report_twice_changes_nothing(api: Client, partner: Partner) -> None:
    url = f"/api/v1/lists/{partner.mailing_list.uuid}/opt-outs/"
    emails = [f"p{n}@example.com" for n in range(50)]

    first = post(api, url, {"emails": emails}).json()
    rows = list(Suppression.objects.values_list("pk", "contact_id", "created_at"))
    events = ConsentEvent.objects.count()
    second = post(api, url, {"emails": emails}).json()

    assert (first["newly_suppressed"], second["newly_suppressed"]) == (50, 0)
    assert second["already_suppressed"] == 50
    assert list(Suppression.objects.values_list("pk", "contact_id", "created_at")) == rows
    assert ConsentEvent.objects.count() == events == 50


def test_report_of_a_category_suppresses_only_that_category(api: Client, partner: Partner) -> None:
    news = CategoryFactory.create(mailing_list=partner.mailing_list, slug="news")

    response = post(
        api,
        f"/api/v1/lists/{partner.mailing_list.uuid}/opt-outs/",
        {"emails": ["a@example.com"], "category": "news"},
    )
    unknown = post(
        api,
        f"/api/v1/lists/{partner.mailing_list.uuid}/opt-outs/",
        {"emails": ["a@example.com"], "category": "nope"},
    )

    assert response.json()["newly_suppressed"] == 1
    assert Suppression.objects.get().category == news
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "unknown_category"


def test_report_needs_the_notify_permission(api: Client, partner: Partner) -> None:
    MailerAccess.objects.filter(pk=partner.access.pk).update(can_notify=False)

    response = post(
        api, f"/api/v1/lists/{partner.mailing_list.uuid}/opt-outs/", {"emails": ["a@example.com"]}
    )

    assert response.status_code == 403
    assert response.json()["code"] == "not_permitted"
    assert not Suppression.objects.exists()


def test_report_refuses_more_than_10000_addresses_with_413(api: Client, partner: Partner) -> None:
    emails = ["a@example.com"] * 10_001

    response = post(api, f"/api/v1/lists/{partner.mailing_list.uuid}/opt-outs/", {"emails": emails})

    assert response.status_code == 413
    assert response.json()["code"] == "batch_too_large"
    assert not Suppression.objects.exists()


def test_a_body_over_the_size_cap_is_refused_with_413(
    api: Client, partner: Partner, settings: object
) -> None:
    settings.OPTOUT_API_MAX_BODY_BYTES = 100  # type: ignore[attr-defined]

    response = post(
        api,
        f"/api/v1/lists/{partner.mailing_list.uuid}/opt-outs/",
        {"emails": [f"p{n}@example.com" for n in range(10)]},
    )

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


@pytest.mark.parametrize(
    ("content_type", "body", "status", "code"),
    [
        ("text/plain", "a@example.com", 415, "unsupported_media_type"),
        (
            "application/x-www-form-urlencoded",
            "emails=a%40example.com",
            415,
            "unsupported_media_type",
        ),
        ("application/json", "{not json", 400, "parse_error"),
        ("application/json", '{"emails": "a@example.com"}', 400, "invalid_input"),
        ("application/json", '{"emails": [1, 2]}', 400, "invalid_input"),
        ("application/json", '{"emails": []}', 400, "invalid_input"),
        ("application/json", "[]", 400, "invalid_input"),
    ],
)
def test_wrong_bodies_get_a_json_error_with_a_stable_code(  # noqa: PLR0917  # parametrized
    api: Client, partner: Partner, content_type: str, body: str, status: int, code: str
) -> None:
    response = api.post(
        f"/api/v1/lists/{partner.mailing_list.uuid}/opt-outs/", body, content_type=content_type
    )

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == code
    assert not Suppression.objects.exists()


def test_scrub_returns_the_values_that_must_not_be_mailed_from_mixed_input(
    api: Client, partner: Partner
) -> None:
    out_by_address = ContactFactory.create(address="one@example.com")
    out_by_md5 = ContactFactory.create(address="two@example.com")
    out_by_sha = ContactFactory.create(address="three@example.com")
    mailable = ContactFactory.create(address="four@example.com")
    for contact in (out_by_address, out_by_md5, out_by_sha):
        SuppressionFactory.create(contact=contact, mailing_list=partner.mailing_list)
    values = [
        " One@Example.COM ",
        out_by_md5.md5.upper(),
        out_by_sha.sha256,
        mailable.sha256,
        "stranger@example.com",
        "garbage",
    ]

    response = post(api, f"/api/v1/lists/{partner.mailing_list.uuid}/scrub/", {"values": values})

    assert response.status_code == 200
    assert response.json() == {
        "received": 6,
        "invalid": 1,
        "suppressed": [" One@Example.COM ", out_by_md5.md5.upper(), out_by_sha.sha256],
    }
    assert ConsentEvent.objects.count() == 0


def test_a_scrub_body_larger_than_djangos_default_cap_is_answered(
    api: Client, partner: Partner
) -> None:
    # 90,000 MD5 values: about 3.2 MB of JSON, past Django's 2.5 MB default.
    suppressed = ContactFactory.create(address="out@example.com")
    SuppressionFactory.create(contact=suppressed, mailing_list=partner.mailing_list)
    values = [f"{n:032x}" for n in range(89_999)] + [suppressed.md5]

    response = post(api, f"/api/v1/lists/{partner.mailing_list.uuid}/scrub/", {"values": values})

    assert response.status_code == 200
    assert response.json()["suppressed"] == [suppressed.md5]


def test_scrub_refuses_more_than_100000_values_with_413(api: Client, partner: Partner) -> None:
    response = post(
        api, f"/api/v1/lists/{partner.mailing_list.uuid}/scrub/", {"values": ["x"] * 100_001}
    )

    assert response.status_code == 413
    assert response.json()["code"] == "batch_too_large"


def test_download_needs_the_download_permission(api: Client, partner: Partner) -> None:
    MailerAccess.objects.filter(pk=partner.access.pk).update(can_download=False)

    response = api.get(f"/api/v1/lists/{partner.mailing_list.uuid}/suppressions/plain/")

    assert response.status_code == 403
    assert response.json()["code"] == "not_permitted"


def _suppress(partner: Partner, *addresses: str) -> None:
    for address in addresses:
        SuppressionFactory.create(
            contact=ContactFactory.create(address=address), mailing_list=partner.mailing_list
        )


def _body(response) -> str:
    assert response.streaming
    return response.getvalue().decode()


@pytest.mark.parametrize(
    ("digest", "spell"),
    [
        ("plain", lambda a: a),
        ("md5", lambda a: hashlib.md5(a.encode()).hexdigest()),  # noqa: S324
        ("sha256", lambda a: hashlib.sha256(a.encode()).hexdigest()),
    ],
)
def test_download_streams_one_value_per_line_in_each_format(
    api: Client, partner: Partner, digest: str, spell
) -> None:
    _suppress(partner, "a@example.com", "b@example.com")
    SuppressionFactory.create(
        contact=ContactFactory.create(address="other@example.com")
    )  # another list

    response = api.get(f"/api/v1/lists/{partner.mailing_list.uuid}/suppressions/{digest}/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert f"-{digest}.txt" in response["Content-Disposition"]
    assert _body(response) == f"{spell('a@example.com')}\n{spell('b@example.com')}\n"


def test_download_of_an_unknown_format_is_404(api: Client, partner: Partner) -> None:
    response = api.get(f"/api/v1/lists/{partner.mailing_list.uuid}/suppressions/sha1/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_download_since_lists_only_later_suppressions(api: Client, partner: Partner) -> None:
    old = SuppressionFactory.create(
        contact=ContactFactory.create(address="old@example.com"), mailing_list=partner.mailing_list
    )
    Suppression.objects.filter(pk=old.pk).update(created_at="2024-01-01T00:00:00Z")
    _suppress(partner, "new@example.com")
    url = f"/api/v1/lists/{partner.mailing_list.uuid}/suppressions/plain/"

    since = api.get(url, {"since": "2025-01-01T00:00:00+00:00"})
    everything = api.get(url)
    wrong = api.get(url, {"since": "yesterday"})

    assert _body(since) == "new@example.com\n"
    assert _body(everything) == "old@example.com\nnew@example.com\n"
    assert wrong.status_code == 400
    assert "since" in wrong.json()["fields"]


def test_download_with_gzip_1_sends_a_gz_file(api: Client, partner: Partner) -> None:
    _suppress(partner, "a@example.com")

    response = api.get(f"/api/v1/lists/{partner.mailing_list.uuid}/suppressions/plain/?gzip=1")

    assert response["Content-Type"] == "application/gzip"
    assert response["Content-Disposition"].endswith('.txt.gz"')
    assert not response.has_header("Content-Encoding")
    assert gzip.decompress(response.getvalue()) == b"a@example.com\n"


def test_download_honours_accept_encoding_gzip(api: Client, partner: Partner) -> None:
    _suppress(partner, "a@example.com")

    response = api.get(
        f"/api/v1/lists/{partner.mailing_list.uuid}/suppressions/sha256/",
        headers={"Accept-Encoding": "gzip, deflate"},
    )

    assert response["Content-Encoding"] == "gzip"
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "Accept-Encoding" in response["Vary"]
    expected = hashlib.sha256(b"a@example.com").hexdigest() + "\n"
    assert gzip.decompress(response.getvalue()).decode() == expected


def test_download_of_an_empty_list_is_an_empty_body(api: Client, partner: Partner) -> None:
    response = api.get(f"/api/v1/lists/{partner.mailing_list.uuid}/suppressions/md5/")

    assert _body(response) == ""


def test_download_with_a_category_adds_that_category(api: Client, partner: Partner) -> None:
    news = CategoryFactory.create(mailing_list=partner.mailing_list, slug="news")
    _suppress(partner, "whole@example.com")
    SuppressionFactory.create(
        contact=ContactFactory.create(address="news@example.com"),
        mailing_list=partner.mailing_list,
        category=news,
    )
    url = f"/api/v1/lists/{partner.mailing_list.uuid}/suppressions/plain/"

    assert _body(api.get(url)) == "whole@example.com\n"
    assert _body(api.get(url, {"category": "news"})) == "whole@example.com\nnews@example.com\n"


@pytest.mark.parametrize("query", ["since=", "gzip=", "gzip=maybe", "category="])
def test_download_refuses_empty_or_malformed_query_values(
    api: Client, partner: Partner, query: str
) -> None:
    _suppress(partner, "a@example.com")

    response = api.get(f"/api/v1/lists/{partner.mailing_list.uuid}/suppressions/plain/?{query}")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"


def test_an_unsupported_method_gets_405_in_the_error_shape(api: Client, partner: Partner) -> None:
    response = api.delete(f"/api/v1/lists/{partner.mailing_list.uuid}/opt-outs/")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert "POST" in response["Allow"]
