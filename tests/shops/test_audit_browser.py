"""In Chromium: the owner reads the audit log at a phone's and a desktop's width. On a
phone each entry is a card with its fields stacked and named (no sideways scrolling,
"What" on screen); on a desktop it is the table."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from shops.audit.models import AuditEntry
from tests.catalog.test_admin_browser import log_in
from tests.journeys.helpers import no_horizontal_overflow

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("ETALAGE_SHOTS", "/tmp/shots-audit"))  # noqa: S108


@pytest.mark.parametrize("width", [390, 1280])
def test_the_audit_log_fits_the_screen_with_what_was_done_in_view(
    browser, shop_server, committed_shop, django_db_blocker, width
):
    # given: entries with long names and changes
    slug = f"audit{width}"
    shop = committed_shop(slug, "Audited").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        for number in range(3):
            AuditEntry.objects.create(
                actor_kind=AuditEntry.ActorKind.STAFF,
                actor_id=1,
                actor_label="a.very.long.staff.email.address@audited-shop.example.com",
                action="shippingrate.update",
                object_type="orders.shippingrate",
                object_id=str(number),
                object_repr=f"Standard delivery to the whole of Europe, two to four days {number}",
                changes={"price": ["4.90", "6.50"], "free_over": ["100.00", "120.00"]},
            )
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    log_in(page, f"http://{slug}.localhost:{shop_server}", slug)

    # when
    page.goto(f"http://{slug}.localhost:{shop_server}/admin/audit/auditentry/")

    # then: nothing wider than the screen, the list included, and every "What" in view
    no_horizontal_overflow(page)
    results = page.locator("#changelist .results")
    assert results.evaluate("box => box.scrollWidth <= box.clientWidth")
    whats = page.locator("#result_list td.field-what")
    expect(whats).to_have_count(3)
    for index in range(3):
        box = whats.nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        expect(whats.nth(index)).to_have_text("Shipping rate changed")
    header = page.locator("#result_list thead")
    if width < 768:  # cards: the column names are beside each value, the header hidden
        assert header.bounding_box()["width"] <= 1
        label = whats.first.evaluate("cell => getComputedStyle(cell, '::before').content")
        assert label == '"What"'
    else:
        expect(header.get_by_text("What")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"audit-log-{width}.png"), full_page=True)
    context.close()
