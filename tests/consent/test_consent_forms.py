"""Where the shopper is asked: the unticked box of the checkout (buy-now) and of the poll
form. Ticked, the address gets a pending consent and a confirmation email after the
commit; unticked, nothing."""

from __future__ import annotations

import pytest
from django.core import mail
from django_tenants.utils import tenant_context

from reviews.models import PollOption
from shops.consent.models import MarketingConsent
from shops.consent.services import CHECKBOX_WORDING
from tests.orders.conftest import buy, shopper
from tests.orders.test_buy_now import body
from tests.reviews.helpers import make_product, shopper_client
from tests.reviews.test_polls import make_poll, vote


@pytest.mark.parametrize("ticked", [True, False])
def test_the_checkout_box_asks_for_consent_only_when_ticked(
    shop_a, selling_a, ticked, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answer = buy(
            shopper(),
            body(selling_a.id, 1, email="Buyer@Example.test", marketing_consent=ticked),
        )

    assert answer.status_code == 201
    with tenant_context(shop_a):
        consents = list(
            MarketingConsent.objects.values_list("email", "status", "source", "wording")
        )
    if ticked:
        assert consents == [("buyer@example.test", "pending", "checkout", CHECKBOX_WORDING)]
        assert [m.subject for m in mail.outbox] == ["Confirm you want emails from Alpha Goods"]
    else:
        assert consents == []
        assert mail.outbox == []


def test_the_checkout_page_shows_the_box_unticked_with_a_label(shop_a, selling_a):
    page = shopper().get(f"/checkout/?products={selling_a.id}:1").content.decode()

    assert '<input id="buy-now-marketing" name="marketing_consent" type="checkbox"' in page
    assert 'type="checkbox" aria-describedby="buy-now-marketing-help">' in page  # unticked
    assert f'<label for="buy-now-marketing">{CHECKBOX_WORDING}</label>' in page


def test_the_poll_form_box_asks_the_address_given(shop_a, django_capture_on_commit_callbacks):
    with tenant_context(shop_a):
        poll = make_poll()
        sage, rust = poll.options.all()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ticked = shopper_client(ip="192.0.2.1").post(
            f"/polls/{poll.pk}/",
            {"option": sage.pk, "notify_email": "fan@example.test", "marketing_consent": "on"},
        )
        unticked = shopper_client(ip="192.0.2.2").post(
            f"/polls/{poll.pk}/", {"option": rust.pk, "notify_email": "other@example.test"}
        )

    assert (ticked.status_code, unticked.status_code) == (200, 200)
    with tenant_context(shop_a):
        assert list(MarketingConsent.objects.values_list("email", "status", "source")) == [
            ("fan@example.test", "pending", "poll")
        ]
        assert PollOption.objects.get(pk=sage.pk).vote_count == 1
    assert [m.to for m in mail.outbox] == [["fan@example.test"]]


def test_the_poll_form_shows_the_box(shop_a):
    with tenant_context(shop_a):
        poll = make_poll()
    page = shopper_client().get(f"/polls/{poll.pk}/").content.decode()

    assert f'<label for="consent-{poll.pk}">{CHECKBOX_WORDING}</label>' in page
    assert f'id="consent-{poll.pk}" type="checkbox" name="marketing_consent" aria' in page


def test_the_poll_vote_api_takes_the_box_too(shop_a, django_capture_on_commit_callbacks):
    with tenant_context(shop_a):
        poll = make_poll()
        sage = poll.options.first()
    with django_capture_on_commit_callbacks(execute=True):
        answer = vote(
            shopper_client(ip="192.0.2.9"),
            poll,
            sage,
            notify_email="api@example.test",
            marketing_consent=True,
        )

    assert answer.status_code == 200, answer.content
    with tenant_context(shop_a):
        assert list(MarketingConsent.objects.values_list("email", "status", "source")) == [
            ("api@example.test", "pending", "poll")
        ]


def review_post(**fields) -> dict:
    return {"rating": "5", "body": "Fits well", "display_name": "Ann", **fields}


def test_the_review_form_box_asks_the_address_given(shop_a, django_capture_on_commit_callbacks):
    with tenant_context(shop_a):
        make_product()
    client = shopper_client()
    form = client.get("/products/linen-shirt/").content.decode()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        without_email = client.post(
            "/products/linen-shirt/reviews/", review_post(marketing_consent="on")
        )
        ticked = client.post(
            "/products/linen-shirt/reviews/",
            review_post(email="reviewer@example.test", marketing_consent="on"),
        )

    assert f'<label for="id_marketing_consent">{CHECKBOX_WORDING}</label>' in form
    assert without_email.status_code == 400
    assert "Enter your address to get emails from the shop." in without_email.content.decode()
    assert ticked.status_code == 303
    with tenant_context(shop_a):
        assert list(MarketingConsent.objects.values_list("email", "status", "source")) == [
            ("reviewer@example.test", "pending", "review_form")
        ]
    assert [m.to for m in mail.outbox] == [["reviewer@example.test"]]
