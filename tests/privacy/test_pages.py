"""The shopper's "My data" pages: the same answer for a known and an unknown email (only a
known one gets a link, from the worker), limited per email and per client address; the
link works in its own shop only, for 24 hours, and not once tampered with; from it the
downloads and the erasure (after its confirmation), each logged."""

from __future__ import annotations

import json
import re

import pytest
from django.core import mail, signing
from django.db import connection

from orders.models import Order, OrderEmail
from orders.services import order_email_send
from reviews.models import Review
from shops.privacy.models import DataRequest
from shops.privacy.services import _link_salt, privacy_link_token
from tests.factories import OrderFactory
from tests.privacy.helpers import EMAIL, NAME, shopper_client, shopper_footprint

LINK = re.compile(r"http://alpha\.localhost(?::\d+)?(/my-data/[^/\s]+/)")


@pytest.fixture
def footprint(shop_a, media):
    connection.set_tenant(shop_a)
    return shopper_footprint()


def ask(client, email, capture):
    mail.outbox.clear()
    with capture(execute=True):
        return client.post("/my-data/", {"email": email})


def test_a_known_and_an_unknown_email_get_the_same_answer_and_only_one_an_email(
    footprint, django_capture_on_commit_callbacks
):
    client = shopper_client()

    known = ask(client, EMAIL, django_capture_on_commit_callbacks)
    known_mail = list(mail.outbox)
    unknown = ask(client, "nobody@example.com", django_capture_on_commit_callbacks)

    assert known.status_code == unknown.status_code == 200
    assert known.content.replace(EMAIL.encode(), b"X") == unknown.content.replace(
        b"nobody@example.com", b"X"
    )
    assert b"Check your inbox." in known.content
    assert mail.outbox == []
    [message] = known_mail
    assert message.to == [EMAIL] and message.subject == "Your data at Alpha Goods"
    assert LINK.search(message.body)


def test_a_bad_email_is_a_clear_400(shop_a):
    response = shopper_client().post("/my-data/", {"email": "not an email"})

    assert response.status_code == 400
    assert b"Enter an email address like name@example.com." in response.content


def test_requests_are_limited_per_email_and_per_address(
    footprint, settings, django_capture_on_commit_callbacks
):
    settings.ACCOUNTS_RATE_EMAIL = "2/h"
    settings.ACCOUNTS_RATE_ADDRESS = "4/h"
    sent = []
    for ip in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        response = ask(shopper_client(ip=ip), EMAIL, django_capture_on_commit_callbacks)
        assert response.status_code == 200
        sent.append(len(mail.outbox))
    assert sent == [1, 1, 0]  # the third asks as often: the same page, nothing sent

    client = shopper_client(ip="203.0.113.50")
    answers = [
        ask(client, f"n{i}@example.com", django_capture_on_commit_callbacks).status_code
        for i in range(5)
    ]
    assert answers == [200, 200, 200, 200, 429]


def test_the_link_shows_what_the_shop_holds_and_downloads_it(footprint):
    token = privacy_link_token(EMAIL)
    client = shopper_client()

    page = client.get(f"/my-data/{token}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "1 order," in text and "1 review" in text and "1 unpaid checkout" in text
    assert page["X-Robots-Tag"] == "noindex"

    download = client.get(f"/my-data/{token}/export.json")
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="my-data-alpha-goods.json"'
    export = json.loads(download.content)
    assert export["orders"][0]["shipping_address"]["name"] == NAME

    archive = client.get(f"/my-data/{token}/export.zip")
    assert archive["Content-Type"] == "application/zip"
    assert archive.content[:2] == b"PK"
    assert [(r.kind, r.requested_by) for r in DataRequest.objects.order_by("id")] == [
        ("export", "shopper"),
        ("export", "shopper"),
    ]


def test_erasure_from_the_link_asks_for_confirmation_first(
    footprint, django_capture_on_commit_callbacks
):
    token = privacy_link_token(EMAIL)
    client = shopper_client()

    confirm = client.get(f"/my-data/{token}/erase/")
    assert confirm.status_code == 200
    assert b"This cannot be undone." in confirm.content

    unticked = client.post(f"/my-data/{token}/erase/", {"reviews": "remove"})
    assert unticked.status_code == 400
    assert b"Tick the box to confirm" in unticked.content
    assert Order.objects.get(pk=footprint.order.pk).email == EMAIL

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(f"/my-data/{token}/erase/", {"reviews": "anonymise", "confirm": "on"})
    assert done.status_code == 200
    assert b"Your data is erased" in done.content
    assert NAME not in json.dumps(list(Order.objects.values("shipping_address", "email")))
    [logged] = DataRequest.objects.all()
    assert (logged.kind, logged.requested_by, logged.summary["reviews"]) == (
        "erasure",
        "shopper",
        "anonymise",
    )


def test_a_tampered_link_is_refused(footprint):
    token = privacy_link_token(EMAIL)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    forged = signing.dumps({"email": EMAIL}, salt="another-purpose")

    for bad in (tampered, forged, "nonsense"):
        response = shopper_client().get(f"/my-data/{bad}/export.json")
        assert response.status_code == 410
        assert b"This link is not valid in this shop." in response.content
    assert not DataRequest.objects.exists()


class _Yesterday(signing.TimestampSigner):
    def timestamp(self) -> str:
        return signing.b62_encode(int(signing.time.time()) - 24 * 3600 - 60)


def test_a_link_older_than_24_hours_has_expired(footprint):
    old = _Yesterday(salt=_link_salt()).sign_object({"email": EMAIL}, compress=False)
    fresh = privacy_link_token(EMAIL)

    expired = shopper_client().get(f"/my-data/{old}/")
    assert expired.status_code == 410
    assert b"This link has expired" in expired.content
    assert shopper_client().get(f"/my-data/{fresh}/").status_code == 200


def test_shop_b_cannot_read_a_link_of_shop_a(footprint, shop_b):
    token = privacy_link_token(EMAIL)  # made in shop A

    for path in (f"/my-data/{token}/", f"/my-data/{token}/export.json"):
        response = shopper_client("beta").get(path)
        assert response.status_code == 410
        assert NAME.encode() not in response.content
    connection.set_tenant(shop_b)
    assert not DataRequest.objects.exists()


def test_every_shopper_page_and_order_email_links_to_my_data(footprint):
    for path in ("/", "/bag/", "/my-data/"):
        page = shopper_client().get(path)
        assert b'<a href="/my-data/">Your data</a>' in page.content, path

    mail.outbox.clear()
    email = OrderEmail.objects.create(order=footprint.order, kind=OrderEmail.Kind.CONFIRMATION)
    assert order_email_send(email_id=email.pk)
    [message] = mail.outbox
    assert "Your data at Alpha Goods: http://alpha.localhost/my-data/" in message.body
    html = message.alternatives[0][0]
    assert 'href="http://alpha.localhost/my-data/"' in html


def test_erasing_at_shop_b_leaves_shop_a_untouched(footprint, shop_a, shop_b):
    connection.set_tenant(shop_b)
    in_b = OrderFactory(email=EMAIL, shipping_address={"name": NAME, "country": "DE"})
    token_b = privacy_link_token(EMAIL)

    erased = shopper_client("beta").post(
        f"/my-data/{token_b}/erase/", {"reviews": "remove", "confirm": "on"}
    )

    assert erased.status_code == 200
    in_b.refresh_from_db()
    assert in_b.shipping_address == {"country": "DE"}
    connection.set_tenant(shop_a)
    footprint.order.refresh_from_db()
    assert (footprint.order.email, footprint.order.shipping_address["name"]) == (EMAIL, NAME)
    assert Review.objects.filter(pk=footprint.review.pk).exists()
