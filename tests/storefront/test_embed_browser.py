"""In a real browser: a page on another origin embeds the shop with the one-line snippet;
the frame shows the shop, fits its content and opens products inside itself; a page
from an origin that is not allowed gets nothing."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from shops.storefront import services
from tests.catalog.test_product_page import make_product
from tests.orders.conftest import shop_sells

pytestmark = pytest.mark.browser

FRAME = "iframe[data-etalage-embed]"


class HostPages:
    """A blog on another origin (``http://127.0.0.2:<port>``) whose page is the snippet."""

    def __init__(self, snippet: str) -> None:
        body = f"<!doctype html><title>Blog</title><h1>My blog</h1>{snippet}<p>After</p>"

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.2", 0), Handler)
        self.origin = f"http://127.0.0.2:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def host_pages(shop_server) -> Iterator[tuple[HostPages, HostPages]]:
    snippet = f'<script src="http://vitrine.localhost:{shop_server}/embed.js" async></script>'
    allowed, other = HostPages(snippet), HostPages(snippet)
    yield allowed, other
    allowed.close()
    other.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 800, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def test_an_allowed_site_embeds_the_shop_and_another_cannot(
    page, shop_server, committed_shop, django_db_blocker, host_pages, stripe_settings
):
    allowed, other = host_pages
    shop = committed_shop("vitrine", "Vitrine").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        for index in range(14):
            make_product(
                title=f"Tee {index:02d}", slug=f"tee-{index}", sku_prefix=f"T{index}", variants=2
            )
        services.embed_origins_set(origins=[allowed.origin])
        shop_sells("vitrine")  # Buy now is offered

    page.goto(f"{allowed.origin}/")
    frame = page.frame_locator(FRAME)
    iframe = page.locator(FRAME)

    assert frame.locator("h1").inner_text() == "Vitrine"
    # the frame grows from the loader's 600px to its content's height, told by postMessage
    page.wait_for_function(
        f"() => document.querySelector('{FRAME}').style.height !== '600px'", timeout=5000
    )
    content_height = frame.locator("html").evaluate(
        "html => Math.ceil(html.getBoundingClientRect().height)"
    )
    assert iframe.evaluate("f => f.style.height") == f"{content_height}px"
    assert content_height > 1000

    frame.get_by_role("link", name="Tee 03").click()
    expect(frame.locator("h1")).to_have_text("Tee 03")  # the old page's h1 until it loads
    assert page.url == f"{allowed.origin}/"  # product details open inside the frame
    assert frame.get_by_role("button", name="Buy now").is_visible()
    # the product page is shorter: the frame shrinks to it
    page.wait_for_function(
        f"() => parseInt(document.querySelector('{FRAME}').style.height) < {content_height}",
        timeout=5000,
    )
    assert page.context.cookies() == []  # nothing in the embed relies on a cookie

    with page.expect_response(lambda response: "/embed/" in response.url) as blocked:
        page.goto(f"{other.origin}/")
    assert blocked.value.headers["content-security-policy"] == (f"frame-ancestors {allowed.origin}")
    page.wait_for_timeout(500)
    (child,) = page.main_frame.child_frames
    assert "Vitrine" not in _frame_text(child)
    assert page.locator(FRAME).evaluate("f => f.style.height") == "600px"


def _frame_text(frame) -> str:
    try:
        return frame.locator("body").inner_text(timeout=1000)
    except Exception:  # a blocked frame may have no document to read
        return ""
