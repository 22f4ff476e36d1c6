"""The shop's privacy page at /privacy/, written from the shop's own setup: what it
collects and why, Stripe and the connected platforms, the retention policy's periods,
the shopper's rights and the shop's contact; linked from every shopper page's footer;
cached, and retired when the retention policy or the channels change."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from shops.channels.services import connection_create, connection_disconnect
from shops.retention.models import RetentionPolicy
from tests.reviews.helpers import make_product


def page(slug: str = "alpha") -> str:
    answer = Client(HTTP_HOST=f"{slug}.localhost").get("/privacy/")
    assert answer.status_code == 200
    return answer.content.decode()


def test_the_privacy_page_says_what_why_who_how_long_and_whom_to_ask(shop_a):
    html = page()

    assert '<h1 id="privacy-title">Privacy at Alpha Goods</h1>' in html
    for heading in (
        "What we collect, why, and on what basis",
        "Who processes it for us",
        "How long we keep it",
        "Your rights",
        "Contact",
    ):
        assert f"<h2>{heading}</h2>" in html
    assert "<strong>Stripe</strong>" in html
    assert "Unpaid checkouts: 30 days." in html  # the retention policy's defaults
    assert "after 3650 days" in html
    assert "Raw visit events: 90 days" in html
    assert "a hash that changes every day" in html and "No advertising or tracking cookies" in html
    assert 'href="mailto:owner@alpha.test"' in html
    assert "Basis: the contract with you" in html
    assert "See or erase my data" in html and 'href="/my-data/"' in html


def test_each_shop_has_its_own_privacy_page(shop_a, shop_b):
    alpha, beta = page("alpha"), page("beta")

    assert "owner@alpha.test" in alpha and "owner@alpha.test" not in beta
    assert "Privacy at Beta" in beta


def test_the_footer_of_shopper_pages_links_to_it(shop_a):
    with tenant_context(shop_a):
        make_product()
    client = Client(HTTP_HOST="alpha.localhost")

    for path in ("/", "/products/linen-shirt/", "/reviews/about/", "/privacy/"):
        html = client.get(path).content.decode()
        footer = html[html.index('<footer class="site-footer">') :]
        assert '<a href="/privacy/">Privacy</a>' in footer, path
    # the embed's footer too (it opens in a new tab, out of the frame)
    embed = client.get("/embed/").content.decode()
    assert 'href="/privacy/" target="_blank" rel="noopener">Privacy</a>' in embed
    # the platform's own pages have no shop privacy link
    platform = Client(HTTP_HOST="localhost").get("/").content.decode()
    assert 'href="/privacy/"' not in platform


def test_it_is_cached_and_retired_when_the_retention_policy_changes(
    shop_a, django_capture_on_commit_callbacks
):
    page()  # cached now
    with CaptureQueriesContext(connection) as cached:
        page()
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        RetentionPolicy.objects.create(abandoned_checkout_days=14, analytics_raw_days=30)

    html = page()

    assert not [q for q in cached.captured_queries if "retention" in q["sql"]]
    assert "Unpaid checkouts: 14 days." in html
    assert "Raw visit events: 30 days" in html


def test_it_names_the_connected_platforms_and_forgets_them_once_disconnected(
    shop_a, shop_b, django_capture_on_commit_callbacks
):
    before = page()
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        pinterest = connection_create(channel="pinterest", is_feed_only=True)
    connected = page()
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        connection_disconnect(connection=pinterest)
    after = page()

    assert "<strong>Pinterest</strong>" not in before
    assert "<strong>Pinterest</strong>" in connected
    assert "<strong>Pinterest</strong>" not in page("beta")  # shop A's channel only
    assert "<strong>Pinterest</strong>" not in after
