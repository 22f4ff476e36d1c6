"""In Chromium at a phone's and a desktop's width: a shopper votes in a poll that asks
for email confirmation, is told to check their email, opens the emailed link, and sees
their vote counted on the poll page; the merchant sees a burst of votes flagged."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from reviews.models import Poll, PollAnomaly, PollOption
from reviews.services import poll_vote
from reviews.shoppers import shopper_token_new
from tests.conftest import SHOP_PASSWORD
from tests.reviews.helpers import a_shopper
from tests.reviews.test_polls import make_poll

pytestmark = pytest.mark.browser

LINK = re.compile(r"http://[^/\s]+(/polls/confirm/[^/\s]+/)")
SHOTS = "/tmp/shots-polls"  # noqa: S108 (screenshots to look at)


@pytest.mark.parametrize("width", [390, 1280])
def test_a_shopper_confirms_their_poll_vote_by_email(
    width, browser, shop_server, committed_shop, django_db_blocker
):
    shop = committed_shop(f"confirm{width}").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        poll = make_poll("Which colour next?", options=("Sage", "Rust"))
        Poll.objects.filter(pk=poll.pk).update(confirm_by_email=True)
        rust = poll.options.get(text="Rust")
    base = f"http://confirm{width}.localhost:{shop_server}"
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    mail.outbox.clear()
    try:
        page.goto(f"{base}/polls/{poll.pk}/")
        page.get_by_label("Rust").check()
        page.get_by_label("Your email (we send a link to confirm your vote)").fill(
            "shopper@example.test"
        )
        page.screenshot(path=f"{SHOTS}/confirm-{width}-form.png", full_page=True)
        page.get_by_role("button", name="Vote").click()

        status = page.get_by_role("status")
        expect(status).to_contain_text("Check your email to confirm your vote")
        expect(page.locator(".poll")).to_contain_text("0 votes")
        assert "shopper@example.test" not in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=f"{SHOTS}/confirm-{width}-check-email.png", full_page=True)

        [message] = mail.outbox
        assert message.to == ["shopper@example.test"]
        page.goto(base + LINK.search(message.body).group(1))
        expect(page.get_by_role("status")).to_contain_text("Your vote counts now")
        expect(page.locator(".poll-voted")).to_contain_text("Rust")
        expect(page.locator(".poll")).to_contain_text("1 vote")
        page.screenshot(path=f"{SHOTS}/confirm-{width}-confirmed.png", full_page=True)

        # back on the poll page (a plain visit does not carry the page's token, so the
        # form shows): a second vote is refused and the counted one is shown
        page.get_by_role("link", name="Back to the poll").click()
        page.get_by_label("Sage").check()
        page.get_by_label("Your email (we send a link to confirm your vote)").fill(
            "other@example.test"
        )
        page.get_by_role("button", name="Vote").click()
        expect(page.get_by_role("alert")).to_contain_text("You have already voted in this poll")
        expect(page.locator(".poll-voted")).to_contain_text("Rust")
        expect(page.locator(".poll")).to_contain_text("1 vote")
        expect(page.get_by_text("Check your email")).to_have_count(0)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=f"{SHOTS}/confirm-{width}-poll-page.png", full_page=True)
    finally:
        context.close()
    with django_db_blocker.unblock(), tenant_context(shop):
        assert PollOption.objects.get(pk=rust.pk).vote_count == 1


@pytest.mark.parametrize("width", [390, 1280])
def test_the_merchant_sees_a_burst_flagged_on_the_poll(
    width, browser, shop_server, committed_shop, django_db_blocker, settings
):
    settings.REVIEWS_POLL_BURST_VOTES = 2
    # and the whole poll far above its usual rate (open a day: 4 votes in 10 minutes)
    settings.REVIEWS_POLL_RATE_FACTOR, settings.REVIEWS_POLL_RATE_MIN_VOTES = 5, 3
    shop = committed_shop(f"bursty{width}").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        poll = make_poll("Busy poll?")
        sage = poll.options.first()
        for _ in range(4):  # four shoppers (tokens) at one address within minutes
            poll_vote(
                poll_id=poll.pk,
                option_id=sage.pk,
                shopper=a_shopper("198.51.100.9", token=shopper_token_new()),
            )
        anomaly = PollAnomaly.objects.get(kind="address")
        rate = PollAnomaly.objects.get(kind="rate")
    base = f"http://bursty{width}.localhost:{shop_server}"
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{base}/admin/login/")
        page.get_by_label("Email address").fill(f"owner@bursty{width}.test")
        page.get_by_label("Password").fill(SHOP_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{base}/admin/")

        page.goto(f"{base}/admin/reviews/poll/")
        expect(page.locator("td.field-flagged")).to_have_text("Unusual burst: review")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=f"{SHOTS}/burst-{width}-list.png", full_page=True)
        page.get_by_role("link", name="Busy poll?").click()
        bursts = page.locator(".inline-group", has_text="unusual bursts of votes")
        expect(bursts).to_contain_text(anomaly.ip_hash[:12])
        expect(bursts.locator(".field-kind .readonly")).to_have_text(
            ["From one address", "Far above the poll's usual rate"]
        )
        expect(bursts.locator(".field-figures .readonly")).to_have_text(
            [
                "4 votes in 10 min from one address",
                f"4 votes in 10 min: {4 / rate.usual_votes:.0f} times the poll's usual "
                f"{rate.usual_votes:.2f} votes per 10 min since it opened",
            ]
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert "198.51.100.9" not in page.content()
        page.screenshot(path=f"{SHOTS}/burst-{width}-poll.png", full_page=True)
    finally:
        context.close()
