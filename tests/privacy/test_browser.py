"""A shopper's data rights in Chromium at phone and desktop widths: the shop's footer →
"Your data" → their email → the emailed link → the JSON download (checked) → erase, after
the confirmation, keeping their review anonymous → their name is gone from the review on
the product page and from the order and the reviews in the admin, and the order's total
in the admin is unchanged.

The shop server runs in this process, so its emails land in Django's test outbox.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context

from reviews.models import Review
from reviews.services import review_moderate
from tests.factories import SHOP_PASSWORD
from tests.journeys.helpers import email_to, no_horizontal_overflow
from tests.privacy.helpers import EMAIL, NAME, shopper_footprint

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("ETALAGE_PRIVACY_SHOTS", "/tmp/shots-rights"))  # noqa: S108


def _log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(SHOP_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/admin/")


def _order_total(page) -> str:
    return page.locator("[data-order-total]").inner_text().strip()


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_a_shopper_downloads_then_erases_their_data(
    committed_shop, shop_server, browser, media, width
):
    slug = f"private-{width}"
    created = committed_shop(slug, name=f"Private Shop {width}")
    with tenant_context(created.shop):
        footprint = shopper_footprint()
        review_moderate(
            reviews=Review.objects.filter(pk=footprint.review.pk), status=Review.Status.APPROVED
        )
        product_path = f"/products/{footprint.review.product.slug}/"
        order_path = f"/admin/orders/order/{footprint.order.pk}/change/"
    base = f"http://{slug}.localhost:{shop_server}"
    shots = SHOTS / str(width)
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    admin_context = browser.new_context(viewport={"width": width, "height": 900})
    page, admin = context.new_page(), admin_context.new_page()
    try:
        # given: the owner sees the shopper's name and the total on the order
        _log_in(admin, base, created.owner.email)
        admin.goto(base + order_path)
        assert NAME in admin.content()
        total_before = _order_total(admin)
        admin.screenshot(path=shots / "0-admin-order-before.png", full_page=True)

        # when: the shopper follows "Your data" in the shop's footer and asks for a link
        page.goto(base + product_path)
        assert page.get_by_text(NAME).first.is_visible()
        page.get_by_role("contentinfo").get_by_role("link", name="Your data").click()
        page.wait_for_url(f"{base}/my-data/")
        page.get_by_role("textbox", name="Your email").fill(EMAIL)
        no_horizontal_overflow(page)
        page.screenshot(path=shots / "1-ask.png", full_page=True)
        page.get_by_role("button", name="Email me a link").click()
        page.get_by_text("Check your inbox.").wait_for()
        page.screenshot(path=shots / "2-check-inbox.png", full_page=True)

        # then: the email holds a link to this shop's "My data" page
        message = email_to(EMAIL, f"Your data at Private Shop {width}")
        link = re.search(r"http://\S+/my-data/\S+/", message.body)
        assert link and link[0].startswith(f"{base}/my-data/"), message.body
        page.goto(link[0])
        page.get_by_role("heading", name=f"Your data at Private Shop {width}").wait_for()
        assert page.get_by_text("1 order, with the address").is_visible()
        no_horizontal_overflow(page)
        page.screenshot(path=shots / "3-summary.png", full_page=True)

        # when: the shopper downloads the JSON
        with page.expect_download() as downloading:
            page.get_by_role("link", name="Download as JSON").click()
        export = json.loads(Path(downloading.value.path()).read_text())
        assert export["email"] == EMAIL
        [order] = export["orders"]
        assert order["shipping_address"]["name"] == NAME
        assert order["total"] == "64.90"
        assert [review["author"] for review in export["reviews"]] == [NAME]

        # when: they ask for erasure, keeping the review anonymous, and confirm
        page.get_by_role("link", name="Erase my data…").click()
        page.get_by_role("heading", name="Erase your data").wait_for()
        page.get_by_label("Keep my reviews' text and rating", exact=False).check()
        page.get_by_role("button", name="Erase my data").click()
        page.get_by_text("Tick the box to confirm").wait_for()  # not without the box
        page.screenshot(path=shots / "4-confirm-needed.png", full_page=True)
        page.get_by_label("Keep my reviews' text and rating", exact=False).check()
        page.get_by_label("I understand this cannot be undone").check()
        no_horizontal_overflow(page)
        page.get_by_role("button", name="Erase my data").click()
        page.get_by_role("heading", name="Your data is erased").wait_for()
        no_horizontal_overflow(page)
        page.screenshot(path=shots / "5-erased.png", full_page=True)

        # then: the review stays, signed "A shopper"
        page.goto(base + product_path)
        assert page.get_by_text("Soft linen, true to size.").is_visible()
        assert page.get_by_text("A shopper").first.is_visible()
        assert NAME not in page.content()
        page.screenshot(path=shots / "6-product-review.png", full_page=True)

        # and: the admin's order no longer names them; its total is unchanged
        admin.goto(base + order_path)
        content = admin.content()
        assert NAME not in content and EMAIL not in content and "12 Rue des Lilas" not in content
        assert _order_total(admin) == total_before
        no_horizontal_overflow(admin)
        admin.screenshot(path=shots / "7-admin-order-after.png", full_page=True)
        admin.goto(f"{base}/admin/reviews/review/")
        assert NAME not in admin.content()
        admin.goto(f"{base}/admin/privacy/datarequest/")
        assert admin.get_by_text("a…@example.com").first.is_visible()
        admin.screenshot(path=shots / "8-admin-requests.png", full_page=True)

        # and: a support request for the same email now finds nothing left
        admin.get_by_role("link", name="Run a request for a shopper").click()
        admin.get_by_label("Shopper's email").fill(EMAIL)
        admin.get_by_role("button", name="Find their data").click()
        admin.get_by_text("Your shop holds nothing about this address.").wait_for()
        no_horizontal_overflow(admin)
        admin.screenshot(path=shots / "9-admin-run-request.png", full_page=True)

        # and: the owner keeps abandoned checkouts 14 days
        admin.goto(f"{base}/admin/retention/retentionpolicy/")
        admin.get_by_label("Delete abandoned checkouts after (days)").fill("14")
        admin.get_by_role("button", name="Save", exact=True).click()
        admin.get_by_text("Your retention policy is saved").wait_for()
        assert admin.get_by_label("Delete abandoned checkouts after (days)").input_value() == "14"
        no_horizontal_overflow(admin)
        admin.screenshot(path=shots / "10-admin-retention.png", full_page=True)
    finally:
        context.close()
        admin_context.close()
