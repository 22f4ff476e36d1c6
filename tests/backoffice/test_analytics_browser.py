"""In Chromium at 390 and 1,280 px: a merchant whose shop had visitors (beacons through
the insights' own path, rolled up as the worker does) and paid orders opens Analytics
from the navigation, reads the cards, the funnel, the SVG charts and the tables, switches
to one day, is told why a backwards range is refused, and downloads the CSV."""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context

from tests.backoffice.analytics_seed import seed_day
from tests.factories import SHOP_PASSWORD
from tests.journeys.helpers import no_horizontal_overflow

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("ETALAGE_SHOTS", "/tmp/shots-insights-page"))  # noqa: S108
DAY = (datetime.now(UTC) - timedelta(days=2)).date()


def figure(page, key: str) -> str:
    return page.locator(f'[data-card="{key}"] .backoffice-card-figure').inner_text()


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_the_merchant_reads_and_exports_the_shops_analytics(
    committed_shop, shop_server, browser, width
):
    slug = f"measured-{width}"
    created = committed_shop(slug, name=f"Measured Shop {width}")
    with tenant_context(created.shop):
        seed_day(DAY)
    base = f"http://{slug}.localhost:{shop_server}"
    shots = SHOTS / str(width)
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Email address").fill(created.owner.email)
    page.get_by_label("Password").fill(SHOP_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/admin/")

    # Home: the last 7 days hold both days' orders
    assert figure(page, "sales") == "€96.00"
    assert figure(page, "orders") == "3"
    assert figure(page, "conversion") == "60.0%"
    page.screenshot(path=str(shots / "1-home.png"), full_page=True)
    no_horizontal_overflow(page)

    # Analytics through the navigation (the phone opens the menu first)
    if width == 390:
        page.get_by_role("button", name="Menu").click()
    page.get_by_role("navigation", name="Back office").get_by_role(
        "link", name="Analytics", exact=True
    ).click()
    page.wait_for_url(f"{base}/admin/analytics/")
    assert page.get_by_role("heading", name="Analytics", level=1).is_visible()
    assert page.get_by_label("Last 30 days").is_checked()
    assert figure(page, "sales") == "€96.00"
    assert figure(page, "sessions") == "5"
    assert figure(page, "average_order_value") == "€32.00"
    assert "Up from nothing" in page.locator('[data-card="sales"]').inner_text()
    funnel = page.locator(".insights-funnel li")
    assert funnel.count() == 5
    assert "Paid" in funnel.nth(4).inner_text() and "3" in funnel.nth(4).inner_text()
    charts = page.get_by_role("img", name="Sales per day")
    assert charts.count() == 1
    for name in ("Sales per day", "Sessions per day"):
        box = page.get_by_role("img", name=name).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100, (name, box)
    assert page.locator("rect.insights-bar").count() == 60
    assert page.get_by_text("Sales are credited to the last source").is_visible()
    posts = page.get_by_role("table", name="By post, page 1 of 1")
    assert posts.get_by_role("row").nth(1).inner_text().split("\t")[:4] == [
        "Summer mugs",
        "2",
        "1",
        "50.0%",
    ]
    assert page.get_by_role("table", name="By product, page 1 of 1").is_visible()
    polls = page.get_by_role("table", name="By poll, page 1 of 1")
    assert "Which colour next for Sea mug?" in polls.inner_text()
    assert polls.get_by_role("columnheader", name="Voters who later bought").is_visible()
    assert page.get_by_text("Visitors are only recognised within a day").is_visible()
    page.locator("#table-poll").screenshot(path=str(shots / "2b-poll-table.png"))
    no_horizontal_overflow(page)
    page.screenshot(path=str(shots / "2-analytics-30-days.png"), full_page=True)

    # a chart's figures as a table
    page.get_by_text("Sales per day as a table").click()
    assert page.get_by_role("table", name="Sales per day").is_visible()
    no_horizontal_overflow(page)

    # a preset: the last 7 days
    page.get_by_label("Last 7 days").check()
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/admin/analytics/?range=7*")
    assert page.locator("rect.insights-bar").count() == 14
    assert figure(page, "orders") == "3"

    # one day, typed as dates (the tick moves to Custom dates): hourly charts, that
    # day's figures against the day before
    page.get_by_label("From", exact=True).fill(f"{DAY:%Y-%m-%d}")
    page.get_by_label("To", exact=True).fill(f"{DAY:%Y-%m-%d}")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**/admin/analytics/?range=7&start={DAY:%Y-%m-%d}*")
    assert page.get_by_label("Custom dates").is_checked()
    assert figure(page, "sales") == "€72.00"
    assert figure(page, "conversion") == "50.0%"
    assert "Down 50.0%" in page.locator('[data-card="conversion"]').inner_text()
    assert page.get_by_role("img", name="Sales per hour").is_visible()
    assert page.get_by_role("img", name="Page views per hour").is_visible()
    no_horizontal_overflow(page)
    page.screenshot(path=str(shots / "3-analytics-one-day.png"), full_page=True)
    page.emulate_media(color_scheme="dark")
    page.screenshot(path=str(shots / "3b-analytics-one-day-dark.png"), full_page=True)
    page.emulate_media(color_scheme="light")

    # the CSV holds the page's figures
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename == f"{slug}-analytics-{DAY}-{DAY}.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text())))
    assert ["Sales", "72.00", "24.00"] in rows
    assert ["Orders", "2", "1"] in rows

    # a backwards range is refused with the reason, and the dates stay as typed
    page.get_by_label("From", exact=True).fill(f"{DAY:%Y-%m-%d}")
    page.get_by_label("To", exact=True).fill(f"{DAY - timedelta(days=3):%Y-%m-%d}")
    page.get_by_role("button", name="Show").click()
    alert = page.get_by_role("alert")
    assert "The end date is before the start date." in alert.inner_text()
    assert (
        page.get_by_label("To", exact=True).input_value() == f"{DAY - timedelta(days=3):%Y-%m-%d}"
    )
    no_horizontal_overflow(page)
    page.screenshot(path=str(shots / "4-range-refused.png"), full_page=True)
    context.close()
