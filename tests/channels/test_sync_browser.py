"""In a real browser, with a real Celery worker: the merchant clicks "Sync now" on the
Meta channel's page and follows its progress to the result, while the worker sends
the catalog to the fake Meta server in batches."""

from __future__ import annotations

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


def test_sync_now_shows_its_progress_until_done_with_the_counts(
    small_slow_batches,
    worker,
    page,
    shop_server,
    committed_shop,
    django_db_blocker,
):
    fake = small_slow_batches
    shop = committed_shop("atelier-sync", "Atelier").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        for number in range(3):  # 6 variants; none sent yet (no connection then)
            complete_product(f"Tee {number}", sku=f"TEE{number}")
        connection = connection_create(
            channel="meta", access_token=fake.token, external_id=fake.catalog_id
        )
    base = f"http://atelier-sync.localhost:{shop_server}"
    log_in(page, base, "atelier-sync")
    page.goto(f"{base}/admin/channels/connection/{connection.pk}/change/")

    page.get_by_role("button", name="Sync now").click()

    progress = page.locator("#sync-progress progress")
    summary = page.locator("#sync-progress [role=status]")
    assert summary.get_attribute("aria-live") == "polite"
    seen: set[tuple[int, int]] = set()  # (done, total) as other requests see it
    for _ in range(300):
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
