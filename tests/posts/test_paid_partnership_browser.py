"""In a real browser at 390 and 1280 px: the paid-partnership label of a sponsored post
is visible, in readable contrast, on the post page, the shop page's gallery and its
dialog and the embed, even when the merchant's branding makes the text colour the
background colour (saved with a mere warning) and the section settings are changed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context

from shops.posts.models import Post
from shops.storefront import services as design
from shops.storefront.branding import contrast_ratio
from tests.journeys.helpers import no_horizontal_overflow
from tests.posts.conftest import page_serving_media, published_post

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("ETALAGE_SHOTS", "/tmp/shots-hostile"))  # noqa: S108

# The label's box, whether it is drawn, and its colours (rgb() to #rrggbb).
LABELS = """() => [...document.querySelectorAll("[data-paid-partnership]")]
  .filter((el) => el.closest("dialog") === null || el.closest("dialog").open)
  .map((el) => {
    const box = el.getBoundingClientRect(), style = getComputedStyle(el);
    const hex = (c) => "#" + c.match(/\\d+/g).slice(0, 3)
        .map((n) => Number(n).toString(16).padStart(2, "0")).join("");
    return {text: el.innerText, width: box.width, height: box.height,
            shown: el.checkVisibility({opacityProperty: true, visibilityProperty: true}),
            color: hex(style.color), background: hex(style.backgroundColor),
            opaque: !/rgba\\(.*,\\s*0\\)$/.test(style.backgroundColor)};
  })"""


@pytest.fixture
def page(browser, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the live server runs in this process
    with page_serving_media(browser, tmp_path) as page:
        yield page


def assert_labels(page, count: int) -> None:
    labels = page.evaluate(LABELS)
    assert len(labels) == count, labels
    for label in labels:
        assert label["text"] == "Paid partnership with Acme Studio"
        assert label["shown"] and label["width"] > 40 and label["height"] > 10, label
        assert label["opaque"], label  # its own background, whatever the page's
        assert contrast_ratio(label["color"], label["background"]) >= 4.5, label


@pytest.mark.parametrize("width", [390, 1280])
def test_the_label_stays_visible_whatever_the_branding(
    page, shop_server, committed_shop, django_db_blocker, width
):
    shop = committed_shop(f"sponsor{width}", "Sponsor").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        design.branding_update(
            values={"background_color": "#ffffff", "text_color": "#ffffff", "font": "monospace"}
        )
        section = design.section_add(section_type_key="posts_gallery")
        design.section_update(
            section_id=section["id"], settings={"heading": "As seen on", "limit": 3}
        )
        design.design_publish()
        post = published_post(
            caption="Linen in the sun",
            is_paid_partnership=True,
            partner_name="Acme Studio",
            source=Post.Source.IMPORTED,
        )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    base = f"http://sponsor{width}.localhost:{shop_server}"

    page.goto(f"{base}/posts/{post.id}/")
    assert_labels(page, 1)
    no_horizontal_overflow(page)
    page.screenshot(path=SHOTS / f"paid-post-page-{width}.png", full_page=True)

    page.goto(f"{base}/#section-{section['id']}")
    assert_labels(page, 1)  # under the picture in the grid
    page.locator(f"[data-post-open='post-{section['id']}-{post.id}']").click()
    page.locator(f"#post-{section['id']}-{post.id}[open]").wait_for()
    assert_labels(page, 2)  # and in the open dialog
    page.screenshot(path=SHOTS / f"paid-dialog-{width}.png")

    for path in ("/embed/", f"/embed/?section={section['id']}"):
        page.goto(base + path)
        assert_labels(page, 1)
    page.screenshot(path=SHOTS / f"paid-embed-{width}.png", full_page=True)
