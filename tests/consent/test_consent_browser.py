"""In Chromium at 390 px and 1280 px: a shopper ticks "Email me news, polls and review
requests" at checkout, gets the confirmation email and confirms on the shop's page; a
marketing email's unsubscribe link shows a button that unsubscribes; the privacy page,
reached from the footer. Screenshots in /tmp/shots-consent/ (ETALAGE_SHOTS elsewhere)."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from orders.services.merchant import order_fulfil
from reviews.models import ReviewRequest
from reviews.services import review_requests_send_due
from shops.consent.models import MarketingConsent
from shops.consent.services import CHECKBOX_WORDING, consent_request, marketing_allowed
from tests.catalog.test_admin_browser import log_in, nav_open
from tests.consent.helpers import consent_confirmed
from tests.factories import OrderFactory
from tests.journeys.helpers import email_to, no_horizontal_overflow
from tests.orders.test_browser import fill_address
from tests.orders.test_variant_picker_browser import picker_shop  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("ETALAGE_SHOTS", "/tmp/shots-consent"))  # noqa: S108


def path_of(url: str) -> str:
    return urlsplit(url).path


def status_of(shop, email: str, django_db_blocker) -> str | None:
    with django_db_blocker.unblock(), tenant_context(shop):
        consent = MarketingConsent.objects.filter(email=email).first()
    return consent.status if consent else None


@pytest.mark.parametrize("width", [390, 1280])
def test_checkout_box_then_confirmation_email_then_confirm_page(
    browser,
    picker_shop,  # noqa: F811 (the fixture imported above)
    shop_server,
    django_db_blocker,
    width,
):
    shop, xl = picker_shop
    shots = SHOTS / str(width)
    shots.mkdir(parents=True, exist_ok=True)
    email = f"ada{width}@example.com"
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    base = f"http://picker.localhost:{shop_server}"
    mail.outbox.clear()

    # the shopper checks out and ticks the box (unticked until they do)
    page.goto(f"{base}/checkout/?products={xl.id}:1")
    page.get_by_label("Email", exact=True).fill(email)
    box = page.get_by_label("Email me news, polls and review requests")
    expect(box).not_to_be_checked()
    box.check()
    fill_address(page)
    page.screenshot(path=shots / "1-checkout-box-ticked.png", full_page=True)
    no_horizontal_overflow(page)
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_placeholder("number").wait_for()

    # a confirmation email comes; its link opens the shop's confirm page
    message = email_to(email, "Confirm you want emails")
    link = re.search(r"(http://\S+/email/confirm/\S+/)", message.body).group(1)
    assert status_of(shop, email, django_db_blocker) == "pending"
    page.goto(base + path_of(link))
    expect(page.get_by_role("heading", level=1, name="Confirm your email sign-up")).to_be_visible()
    page.screenshot(path=shots / "2-confirm-page.png", full_page=True)
    no_horizontal_overflow(page)
    assert status_of(shop, email, django_db_blocker) == "pending"  # opening it is not enough

    page.get_by_role("button", name="Yes, email me").click()
    expect(page.get_by_role("heading", level=1, name="You're signed up")).to_be_visible()
    page.screenshot(path=shots / "3-confirmed.png", full_page=True)
    no_horizontal_overflow(page)
    assert status_of(shop, email, django_db_blocker) == "confirmed"
    context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_an_emails_unsubscribe_link_shows_a_button_that_unsubscribes(
    browser,
    picker_shop,  # noqa: F811 (the fixture imported above)
    shop_server,
    django_db_blocker,
    width,
):
    shop, xl = picker_shop
    shots = SHOTS / str(width)
    shots.mkdir(parents=True, exist_ok=True)
    email = f"fan{width}@example.com"
    mail.outbox.clear()
    with django_db_blocker.unblock(), tenant_context(shop):
        consent_confirmed(email)
        order = OrderFactory(email=email, lines=[(xl, 1)])
        order_fulfil(order=order, tracking_number="T1")
        ReviewRequest.objects.update(due_at=timezone.now() - timedelta(seconds=1))
        review_requests_send_due()
    message = email_to(email, "How do you like your order")
    link = re.search(r"marketing emails in one click:\n(\S+)", message.body).group(1)
    assert message.extra_headers["List-Unsubscribe"] == f"<{link}>"
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    base = f"http://picker.localhost:{shop_server}"

    page.goto(base + path_of(link))
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe from Picker's emails?")
    page.screenshot(path=shots / "4-unsubscribe-page.png", full_page=True)
    no_horizontal_overflow(page)
    assert status_of(shop, email, django_db_blocker) == "confirmed"  # GET changes nothing

    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", level=1, name="You're unsubscribed")).to_be_visible()
    page.screenshot(path=shots / "5-unsubscribed.png", full_page=True)
    no_horizontal_overflow(page)
    assert status_of(shop, email, django_db_blocker) == "withdrawn"
    context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_privacy_page_from_the_footer(
    browser,
    picker_shop,  # noqa: F811 (the fixture imported above)
    shop_server,
    width,
):
    shots = SHOTS / str(width)
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()

    page.goto(f"http://picker.localhost:{shop_server}/products/harbour-tee/")
    page.get_by_role("contentinfo").get_by_role("link", name="Privacy").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy at Picker")
    for name in ("Who processes it for us", "How long we keep it", "Your rights", "Contact"):
        expect(page.get_by_role("heading", level=2, name=name)).to_be_visible()
    expect(page.locator("body")).to_contain_text("Stripe")
    expect(page.locator("body")).to_contain_text("Unpaid checkouts: 30 days.")
    page.screenshot(path=shots / "6-privacy.png", full_page=True)
    no_horizontal_overflow(page)
    context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_merchant_finds_and_withdraws_a_consent(
    browser, committed_shop, shop_server, django_db_blocker, width
):
    shop = committed_shop(f"consents{width}", "Consents").shop
    shots = SHOTS / str(width)
    shots.mkdir(parents=True, exist_ok=True)
    with django_db_blocker.unblock(), tenant_context(shop):
        consent_confirmed("kept@example.com")
        consent_request(email="waiting@example.com", source="poll", wording=CHECKBOX_WORDING)
        for _ in range(12):
            marketing_allowed("nobody@example.com", kind="review_request")
    base = f"http://consents{width}.localhost:{shop_server}"
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    log_in(page, base, f"consents{width}")

    nav_open(page, "Customers")  # its pages show under it once it is open
    page.wait_for_url(re.compile(r"/admin/.*customers"))
    nav_open(page, "Email consents")
    expect(page.get_by_role("heading", level=1, name="Email consents")).to_be_visible()
    expect(page.locator("body")).to_contain_text("12 review requests not sent: no consent")
    page.get_by_role("textbox", name="Search").fill("kept@")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    page.screenshot(path=shots / "7-admin-consents.png", full_page=True)
    page.get_by_role("checkbox", name="Select this object for an action - kept@").check()
    page.get_by_role("combobox", name="Action").select_option("withdraw")
    page.get_by_role("button", name="Go", exact=True).click()

    expect(page.locator("body")).to_contain_text("Withdrew the consent of 1 address(es).")
    page.screenshot(path=shots / "8-admin-withdrawn.png", full_page=True)
    assert status_of(shop, "kept@example.com", django_db_blocker) == "withdrawn"
    assert status_of(shop, "waiting@example.com", django_db_blocker) == "pending"
    page.context.close()
