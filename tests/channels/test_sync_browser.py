"""In a real browser, with a real Celery worker: the merchant clicks "Sync now" on the
Meta channel's page and follows its progress to the result, while the worker sends
the catalog to the fake Meta server in batches."""

from __future__ import annotations

import time

import pytest
from django_tenants.utils import tenant_context

from shops.channels.models import Connection
from shops.channels.services import connection_create
from tests.catalog.test_admin_browser import log_in
from tests.catalog.test_admin_browser import page as page_fixture  # noqa: F401 (the "page" fixture)
from tests.channels.conftest import complete_product
from tests.channels.test_worker import meta_env  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.worker]


@pytest.fixture
def small_slow_batches(meta_env, monkeypatch):  # noqa: F811
    """Batches of 2 items that Meta takes a few polls to finish: progress shows."""
    monkeypatch.setenv("CHANNELS_BATCH_ITEMS_MAX", "2")
    monkeypatch.setenv("CHANNELS_BATCH_POLL_SECONDS", "0.2")
    meta_env.polls_before_finished = 3
    return meta_env


@pytest.fixture
def channel_page(small_slow_batches, worker, page, shop_server, committed_shop, django_db_blocker):
    """Opens, logged in, the Meta channel page of a new shop whose products (one per
    title, two variants each) were made before the connection: none is sent yet."""

    def open_page(slug: str, titles: list[str]):
        fake = small_slow_batches
        shop = committed_shop(slug, "Atelier").shop
        with django_db_blocker.unblock(), tenant_context(shop):
            products = [
                complete_product(title, sku=f"SKU{number}") for number, title in enumerate(titles)
            ]
            # made feed-only, then pushing, without the first sync a new connection
            # queues (tests/channels/test_first_sync.py): this page's "Sync now" is it
            connection = connection_create(
                channel="meta",
                access_token=fake.token,
                external_id=fake.catalog_id,
                is_feed_only=True,
            )
            Connection.objects.filter(pk=connection.pk).update(is_feed_only=False)
        base = f"http://{slug}.localhost:{shop_server}"
        log_in(page, base, slug)
        page.goto(f"{base}/admin/channels/connection/{connection.pk}/change/")
        return shop, products, connection

    return open_page


def test_sync_now_shows_its_progress_until_done_with_the_counts(
    channel_page, small_slow_batches, page, django_db_blocker
):
    fake = small_slow_batches
    shop, _, connection = channel_page("atelier-sync", [f"Tee {n}" for n in range(3)])

    page.get_by_role("button", name="Sync now").click()

    progress = page.locator("#sync-progress progress")
    summary = page.locator("#sync-progress [role=status]")
    assert summary.get_attribute("aria-live") == "polite"
    seen: set[tuple[int, int]] = set()  # (done, total) as other requests see it
    # the worker has just been started: on a loaded machine it may take a while to boot
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with django_db_blocker.unblock(), tenant_context(shop):
            seen.add(
                Connection.objects.values_list("sync_done", "sync_total").get(pk=connection.pk)
            )
        if summary.inner_text().startswith("Sync done"):
            break
        page.wait_for_timeout(50)
    assert summary.inner_text() == "Sync done: 6 live, 0 pending, 0 rejected."
    assert progress.get_attribute("max") == "6"
    assert progress.evaluate("bar => bar.value") == 6
    assert page.locator("[data-field=live]").inner_text() == "6"
    assert page.locator("[data-field=last_error]").is_hidden()
    assert page.locator("[data-field=last_sync_at]").inner_text() != "never"
    assert page.get_by_role("button", name="Sync now").is_enabled()
    assert len(fake.batches) == 3 and len(fake.items) == 6
    # the batches' progress was committed as they went: 2 and 4 of 6 were seen
    assert {(2, 6), (4, 6)} <= seen, seen


def test_the_sync_box_is_the_pages_one_live_view_of_status_checks_and_rejections(
    channel_page, small_slow_batches, page
):
    small_slow_batches.refused_titles = {"Mink Stole"}
    _, (_, refused), _ = channel_page("atelier-box", ["Linen Tee", "Mink Stole"])
    box = page.locator("#channel-sync")
    assert box.locator("[data-field=last_reconcile_at]").inner_text() == "never"
    assert box.locator("[data-field=rejected_box]").is_hidden()
    # the sync's state is shown once, in the box: no reload-only copy further down
    assert page.locator(".field-counts, .field-rejected, .field-last_sync_at").count() == 0

    page.get_by_role("button", name="Sync now").click()
    page.wait_for_load_state()
    # rendered while the batches wait for Meta (2 batches, 3 status polls each)
    assert box.locator("[data-field=last_reconcile_at]").inner_text() == "never"
    page.wait_for_function(
        "document.querySelector('#sync-progress')?.dataset.state === 'done'"
        " && document.querySelector('[data-field=summary]').textContent.startsWith('Sync done')"
    )

    assert box.locator("[role=status]").inner_text() == (
        "Sync done: 2 live, 0 pending, 2 rejected."
    )
    assert box.locator("[data-field=status]").inner_text() == "Active"
    assert box.locator("[data-field=last_reconcile_at]").inner_text() != "never"  # live
    entries = box.locator("[data-field=rejected_items] li")
    assert entries.count() == 2
    assert entries.first.inner_text().endswith(
        ": This item doesn't comply with our Commerce Policies. — fix the product"
    )
    assert entries.first.get_by_role("link", name="fix the product").get_attribute("href") == (
        f"/admin/catalog/product/{refused.pk}/change/"
    )
