"""Marketing consent: no marketing email without consent where the law asks for it,
double opt-in, RFC 8058 one-click unsubscribe on every marketing email, signed links
that work only in their shop, for their purpose and before they expire, the merchant's
list, and the data-rights helpers."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from catalog.models import Product
from catalog.services import stock_hold
from orders.models import Order, OrderEmail
from orders.services import checkout_recovery_set, order_emails_sweep, order_release
from orders.services.merchant import order_fulfil
from reviews.models import PollNotification, PollOption, ReviewRequest
from reviews.services import poll_launch_notify, review_requests_send_due
from shops.audit.models import AuditEntry
from shops.consent.links import CONFIRM, UNSUBSCRIBE, consent_token
from shops.consent.models import ErasedAddress, MarketingConsent, MarketingHeld
from shops.consent.privacy import consents_erase, consents_personal_data
from shops.consent.regions import opt_in_required
from shops.consent.selectors import marketing_held_summary
from shops.consent.services import (
    CHECKBOX_WORDING,
    consent_request,
    consent_withdraw,
    marketing_allowed,
)
from tests.conftest import owner_client
from tests.consent.helpers import consent_confirmed
from tests.factories import OrderFactory
from tests.reviews.helpers import make_product
from tests.reviews.test_polls import make_poll

UNSUBSCRIBE_IN_BODY = re.compile(r"marketing emails in one click:\n(\S+)")
CONFIRM_LINK = re.compile(r"http://alpha\.localhost(/email/confirm/\S+/)")


def shopper(slug: str = "alpha") -> Client:
    """A mail client or browser with no cookie, and CSRF checked as a browser's would be."""
    return Client(HTTP_HOST=f"{slug}.localhost", enforce_csrf_checks=True)


def status_of(email: str) -> str | None:
    return MarketingConsent.objects.filter(email=email).values_list("status", flat=True).first()


# --- the three marketing emails, each through the gate ----------------------------------


def order_fields(email: str) -> dict:
    """An order by ``email`` in the shop's currency, shipped to US_SHOPPERS' country."""
    currency = connection.tenant.currency
    address = {"country": "US"} if currency == "USD" else {"country": "FR"}
    return {"email": email, "currency": currency, "shipping_address": address}


def review_request_due(email: str) -> None:
    product = make_product(title="Shirt", slug=f"shirt-{uuid.uuid4().hex[:8]}")
    order = OrderFactory(lines=[(product.variants.first(), 1)], **order_fields(email))
    order_fulfil(order=order, tracking_number="T1")
    ReviewRequest.objects.update(due_at=timezone.now() - timedelta(seconds=1))


def send_review_requests(capture) -> None:
    with capture(execute=True):
        review_requests_send_due()


def poll_launch_due(email: str) -> int:
    product = make_product("Sage Tee", slug=f"sage-{uuid.uuid4().hex[:8]}")
    poll = make_poll()
    option = poll.options.first()
    PollOption.objects.filter(pk=option.pk).update(product=product)
    PollNotification.objects.create(option=option, email=email)
    Product.objects.filter(pk=product.pk).update(status=Product.Status.ACTIVE)
    return poll.pk


def reminder_due(email: str) -> Order:
    checkout_recovery_set(is_enabled=True)
    product = make_product(title="Bag", slug=f"bag-{uuid.uuid4().hex[:8]}")
    variant = product.variants.first()
    stock_hold(variant=variant, quantity=1)
    checkout = OrderFactory(pending=True, lines=[(variant, 1)], **order_fields(email))
    assert order_release(order=checkout, to="cancelled", note="The reservation expired.")
    return checkout


def send_reminders(capture) -> None:
    with capture(execute=True):
        order_emails_sweep()


@pytest.fixture
def reminders_now(settings):
    settings.ORDERS_RECOVERY_EMAIL_DELAY_SECONDS = 0


def send_each_kind(email: str, capture) -> list:
    """Make one email of each marketing kind due to ``email`` and run their senders."""
    mail.outbox.clear()
    review_request_due(email)
    send_review_requests(capture)
    poll_launch_notify(poll_id=poll_launch_due(email))
    reminder_due(email)
    send_reminders(capture)
    return list(mail.outbox)


def test_a_marketing_email_without_consent_is_never_sent(
    shop_a, reminders_now, django_capture_on_commit_callbacks
):
    # given: a shop in the euro area (opt-in) and a shopper who never consented
    connection.set_tenant(shop_a)
    assert shop_a.currency == "EUR"

    # when: a review request, a poll launch and a checkout reminder fall due for them
    sent = send_each_kind("nobody@example.test", django_capture_on_commit_callbacks)

    # then: none went out, and the merchant is told why, per kind
    assert [m.to for m in sent] == []
    held = dict(MarketingHeld.objects.values_list("kind", "count"))
    assert held == {"review_request": 1, "poll_launch": 1, "checkout_reminder": 1}
    assert sorted(marketing_held_summary()) == [
        "1 checkout reminders not sent: no consent",
        "1 poll launch emails not sent: no consent",
        "1 review requests not sent: no consent",
    ]
    assert not OrderEmail.objects.filter(kind="recovery").exists()  # deleted unsent


def test_pending_consent_is_not_enough(shop_a, reminders_now, django_capture_on_commit_callbacks):
    connection.set_tenant(shop_a)
    consent_request(email="waiting@example.test", source="checkout", wording=CHECKBOX_WORDING)

    sent = send_each_kind("waiting@example.test", django_capture_on_commit_callbacks)

    assert [m.to for m in sent] == []


def test_with_confirmed_consent_every_marketing_email_goes_with_one_click_unsubscribe(
    shop_a, reminders_now, django_capture_on_commit_callbacks
):
    connection.set_tenant(shop_a)
    consent_confirmed("fan@example.test")

    sent = send_each_kind("fan@example.test", django_capture_on_commit_callbacks)

    assert len(sent) == 3
    for message in sent:
        assert message.to == ["fan@example.test"]
        link = UNSUBSCRIBE_IN_BODY.search(message.body).group(1)
        assert link.startswith("http://alpha.localhost/email/unsubscribe/")
        assert message.extra_headers["List-Unsubscribe"] == f"<{link}>"
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "fan" not in link and "example.test" not in link  # no address in the link
    assert not MarketingHeld.objects.exists()


def test_an_opt_out_country_sends_without_consent_until_the_shopper_unsubscribes(
    shop_a, reminders_now, django_capture_on_commit_callbacks
):
    # given: a shop selling in US dollars (CAN-SPAM: opt-out), orders shipped to the US
    shop_a.currency = "USD"
    shop_a.save(update_fields=["currency"])
    connection.set_tenant(shop_a)

    first = send_each_kind("us@example.test", django_capture_on_commit_callbacks)
    link = UNSUBSCRIBE_IN_BODY.search(first[0].body).group(1)
    assert shopper().post(link, {"List-Unsubscribe": "One-Click"}).status_code == 200
    ReviewRequest.objects.all().delete()
    PollNotification.objects.all().delete()
    then = send_each_kind("us@example.test", django_capture_on_commit_callbacks)

    assert len(first) == 3  # the review request, the poll launch, the reminder
    assert then == []
    assert dict(MarketingHeld.objects.values_list("kind", "reason")) == {
        "review_request": "withdrawn",
        "poll_launch": "withdrawn",
    }  # the reminder of an unsubscribed shopper is not even recorded
    # a shopper known to be in Germany needs consent even from a US shop
    assert not marketing_allowed("de@example.test", kind="review_request", shopper_country="DE")
    assert marketing_allowed("us2@example.test", kind="review_request", shopper_country="US")


def test_the_stricter_country_wins():
    assert opt_in_required(currency="EUR") is True
    assert opt_in_required(currency="GBP") is True
    assert opt_in_required(currency="CHF") is True
    assert opt_in_required(currency="CAD") is True
    assert opt_in_required(currency="USD") is False
    assert opt_in_required(currency="USD", shopper_country="DE") is True
    assert opt_in_required(currency="USD", shopper_country="CA") is True
    assert opt_in_required(currency="USD", shopper_country="US") is False
    assert opt_in_required(currency="XAF") is True  # unknown: ask first


# --- double opt-in ----------------------------------------------------------------------


def test_double_opt_in_pending_then_confirmed_then_sent(
    shop_a, reminders_now, django_capture_on_commit_callbacks
):
    connection.set_tenant(shop_a)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        consent_request(email="New@Example.test", source="checkout", wording=CHECKBOX_WORDING)
    [confirmation] = mail.outbox
    path = CONFIRM_LINK.search(confirmation.body).group(1)
    pending = status_of("new@example.test")

    looked = shopper().get(path)  # a mail scanner opening the link confirms nothing
    after_get = status_of("new@example.test")
    confirmed = shopper().post(path)  # the button, no cookie or CSRF token needed
    again = shopper().post(path)

    assert confirmation.to == ["new@example.test"]
    assert "List-Unsubscribe" not in confirmation.extra_headers  # not marketing itself
    assert (pending, after_get) == ("pending", "pending")
    assert looked.status_code == 200 and "Yes, email me" in looked.content.decode()
    assert confirmed.status_code == 200 and "You're signed up" in confirmed.content.decode()
    assert again.status_code == 200
    consent = MarketingConsent.objects.get()
    assert (consent.status, consent.source, consent.wording) == (
        "confirmed",
        "checkout",
        CHECKBOX_WORDING,
    )
    assert consent.asked_at and consent.confirmed_at and consent.withdrawn_at is None
    # and now the marketing emails go
    assert len(send_each_kind("new@example.test", django_capture_on_commit_callbacks)) == 3


def test_the_confirmation_email_is_not_resent_within_the_rate(
    shop_a, settings, django_capture_on_commit_callbacks
):
    connection.set_tenant(shop_a)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            consent_request(email="flood@example.test", source="poll", wording=CHECKBOX_WORDING)
    assert len(mail.outbox) == 1

    settings.CONSENT_CONFIRM_RESEND_SECONDS = 0  # the per-address rate still holds
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            consent_request(email="flood@example.test", source="poll", wording=CHECKBOX_WORDING)
    assert len(mail.outbox) == 3  # ACCOUNTS_RATE_EMAIL: 3 an hour


def test_a_bad_address_is_refused(shop_a):
    connection.set_tenant(shop_a)
    with pytest.raises(Exception, match="valid email"):
        consent_request(email="not an address", source="checkout", wording=CHECKBOX_WORDING)
    assert not MarketingConsent.objects.exists()


def test_confirming_after_unsubscribing_is_refused(shop_a):
    connection.set_tenant(shop_a)
    consent_request(email="gone@example.test", source="checkout", wording=CHECKBOX_WORDING)
    consent_withdraw(email="gone@example.test", via="one-click")
    path = f"/email/confirm/{consent_token(email='gone@example.test', purpose=CONFIRM)}/"

    answer = shopper().post(path)

    assert answer.status_code == 404
    assert "unsubscribed since" in answer.content.decode()
    assert status_of("gone@example.test") == "withdrawn"


# --- RFC 8058 one-click unsubscribe -------------------------------------------------------


def test_one_click_post_withdraws_at_once_without_cookie_or_csrf_and_get_never_does(shop_a):
    connection.set_tenant(shop_a)
    consent_confirmed("fan@example.test")
    path = f"/email/unsubscribe/{consent_token(email='fan@example.test', purpose=UNSUBSCRIBE)}/"

    shown = shopper().get(path)
    after_get = status_of("fan@example.test")
    one_click = shopper().post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    again = shopper().post(path, {"List-Unsubscribe": "One-Click"})

    assert shown.status_code == 200
    page = shown.content.decode()
    assert "<h1" in page and 'type="submit"' in page and "Unsubscribe</button>" in page
    assert after_get == "confirmed"
    assert (one_click.status_code, again.status_code) == (200, 200)
    consent = MarketingConsent.objects.get()
    assert (consent.status, consent.withdrawn_via) == ("withdrawn", "one-click")
    assert not marketing_allowed("fan@example.test", kind="poll_launch")
    assert not AuditEntry.objects.exists()  # a shopper's own act: not a staff action
    assert shown["X-Robots-Tag"] == "noindex"


def test_the_page_button_withdraws_too(shop_a):
    connection.set_tenant(shop_a)
    path = f"/email/unsubscribe/{consent_token(email='page@example.test', purpose=UNSUBSCRIBE)}/"

    answer = shopper().post(path)

    assert "You're unsubscribed" in answer.content.decode()
    consent = MarketingConsent.objects.get()
    assert (consent.status, consent.source, consent.withdrawn_via) == (
        "withdrawn",
        "unsubscribe",
        "unsubscribe page",
    )


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(
            lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"), id="tampered"
        ),
        pytest.param(lambda token: "x" + token, id="prefixed"),
        pytest.param(lambda token: "nonsense", id="garbage"),
    ],
)
def test_a_tampered_unsubscribe_link_changes_nothing(shop_a, mangle):
    connection.set_tenant(shop_a)
    consent_confirmed("fan@example.test")
    token = consent_token(email="fan@example.test", purpose=UNSUBSCRIBE)

    answer = shopper().post(f"/email/unsubscribe/{mangle(token)}/")

    assert answer.status_code == 404
    assert "not valid in this shop" in answer.content.decode()
    assert status_of("fan@example.test") == "confirmed"


def test_an_expired_link_changes_nothing(shop_a, settings):
    connection.set_tenant(shop_a)
    consent_request(email="late@example.test", source="checkout", wording=CHECKBOX_WORDING)
    confirm = consent_token(email="late@example.test", purpose=CONFIRM)
    unsubscribe = consent_token(email="late@example.test", purpose=UNSUBSCRIBE)
    later = timezone.now() + timedelta(days=settings.CONSENT_UNSUBSCRIBE_LINK_DAYS + 1)

    with mock.patch("django.core.signing.time.time", return_value=later.timestamp()):
        confirmed = shopper().post(f"/email/confirm/{confirm}/")
        withdrawn = shopper().post(f"/email/unsubscribe/{unsubscribe}/")

    assert (confirmed.status_code, withdrawn.status_code) == (404, 404)
    assert "expired" in confirmed.content.decode() and "expired" in withdrawn.content.decode()
    assert status_of("late@example.test") == "pending"


def test_a_confirm_link_is_not_an_unsubscribe_link_nor_the_other_way(shop_a):
    connection.set_tenant(shop_a)
    consent_request(email="mix@example.test", source="checkout", wording=CHECKBOX_WORDING)
    confirm = consent_token(email="mix@example.test", purpose=CONFIRM)
    unsubscribe = consent_token(email="mix@example.test", purpose=UNSUBSCRIBE)

    assert shopper().post(f"/email/unsubscribe/{confirm}/").status_code == 404
    assert shopper().post(f"/email/confirm/{unsubscribe}/").status_code == 404
    assert status_of("mix@example.test") == "pending"


def test_shop_b_can_neither_confirm_nor_withdraw_nor_see_shop_a_consents(shop_a, shop_b):
    with tenant_context(shop_a):
        consent_request(email="a-fan@example.test", source="checkout", wording=CHECKBOX_WORDING)
        confirm = consent_token(email="a-fan@example.test", purpose=CONFIRM)
        consent_confirmed("a-kept@example.test")
        unsubscribe = consent_token(email="a-kept@example.test", purpose=UNSUBSCRIBE)

    on_b_confirm = shopper("beta").post(f"/email/confirm/{confirm}/")
    on_b_unsubscribe = shopper("beta").post(f"/email/unsubscribe/{unsubscribe}/")
    b_list = owner_client("beta").get("/admin/consent/marketingconsent/")

    assert (on_b_confirm.status_code, on_b_unsubscribe.status_code) == (404, 404)
    assert b_list.status_code == 200 and "a-kept@example.test" not in b_list.content.decode()
    with tenant_context(shop_a):
        assert status_of("a-fan@example.test") == "pending"
        assert status_of("a-kept@example.test") == "confirmed"
    with tenant_context(shop_b):
        assert not MarketingConsent.objects.exists()


# --- the merchant's list ---------------------------------------------------------------


def test_the_merchant_lists_searches_filters_and_withdraws_audited(
    shop_a, django_assert_max_num_queries
):
    connection.set_tenant(shop_a)
    for number in range(60):
        consent_request(
            email=f"s{number:02}@example.test", source="checkout", wording=CHECKBOX_WORDING
        )
    consent_confirmed("kept@example.test")
    marketing_allowed("someone@example.test", kind="review_request")  # held: no consent
    client = owner_client()
    url = "/admin/consent/marketingconsent/"

    first = client.get(url)
    with django_assert_max_num_queries(30):
        second_page = client.get(url, {"p": 2})
    searched = client.get(url, {"q": "kept@"})
    confirmed_only = client.get(url, {"status__exact": "confirmed"})
    kept = MarketingConsent.objects.get(email="kept@example.test")
    withdrawn = client.post(url, {"action": "withdraw", "_selected_action": [kept.pk]}, follow=True)

    page = first.content.decode()
    assert page.count('class="field-email"') == 50
    assert "1 review requests not sent: no consent" in page
    assert second_page.content.decode().count('class="field-email"') == 11
    assert searched.content.decode().count('class="field-email"') == 1
    assert confirmed_only.content.decode().count('class="field-email"') == 1
    assert "Withdrew the consent of 1 address(es)." in withdrawn.content.decode()
    assert status_of("kept@example.test") == "withdrawn"
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.object_repr) == (
        "consent.withdraw",
        "kept@example.test (withdrawn)",
    )
    # read only otherwise
    assert client.get(f"{url}add/").status_code == 403
    assert client.post(f"{url}{kept.pk}/delete/", {"post": "yes"}).status_code == 403


def test_the_list_costs_the_same_queries_with_more_rows(shop_a, django_assert_max_num_queries):
    connection.set_tenant(shop_a)
    client = owner_client()
    client.get("/admin/consent/marketingconsent/")  # warm the session and caches
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(db) as few:
        client.get("/admin/consent/marketingconsent/")
    for number in range(40):
        consent_request(email=f"m{number:02}@example.test", source="poll", wording=CHECKBOX_WORDING)
    with CaptureQueriesContext(db) as many:
        client.get("/admin/consent/marketingconsent/")

    assert len(many.captured_queries) == len(few.captured_queries)


# --- data rights helpers ---------------------------------------------------------------


def test_personal_data_and_erasure(
    shop_a, shop_b, reminders_now, django_capture_on_commit_callbacks
):
    connection.set_tenant(shop_a)
    consent_confirmed("Erase@Example.test")
    with tenant_context(shop_b):
        consent_confirmed("erase@example.test")

    connection.set_tenant(shop_a)
    [record] = consents_personal_data("ERASE@example.test")
    deleted = consents_erase("erase@example.test")

    assert record["email"] == "erase@example.test"
    assert (record["status"], record["source"], record["wording"]) == (
        "confirmed",
        "checkout",
        CHECKBOX_WORDING,
    )
    assert record["confirmed_at"] and record["withdrawn_at"] is None
    assert deleted == 1
    assert consents_personal_data("erase@example.test") == []
    # the suppression list keeps no address, and no marketing email reaches it again
    assert "erase" not in ErasedAddress.objects.get().digest
    assert send_each_kind("erase@example.test", django_capture_on_commit_callbacks) == []
    with tenant_context(shop_b):  # another shop's record is its own
        assert status_of("erase@example.test") == "confirmed"


def test_the_gate_costs_the_same_queries_for_more_recipients(shop_a):
    connection.set_tenant(shop_a)
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    def launch(count: int) -> tuple[int, int]:
        poll_id = poll_launch_due("first@example.test")
        option = PollNotification.objects.get(option__poll_id=poll_id).option
        for number in range(count - 1):
            email = f"sub{count}-{number}@example.test"
            PollNotification.objects.create(option=option, email=email)
            if number % 2:
                consent_confirmed(email)
        mail.outbox.clear()
        with CaptureQueriesContext(db) as queries:
            poll_launch_notify(poll_id=poll_id)
        return len(queries.captured_queries), len(mail.outbox)

    launch(2)  # the day's count of held emails is there from now on
    few_queries, few_sent = launch(4)
    many_queries, many_sent = launch(40)

    assert (few_sent, many_sent) == (1, 19)
    assert many_queries == few_queries
