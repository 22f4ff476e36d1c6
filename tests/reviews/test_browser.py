"""In a real browser: an XSS corpus in every user-generated text field (reviews: title,
body, reviewer name, reply; poll question and options; the disclosure note; a post's
caption and picture description; product titles and descriptions sent through the
partner API) renders as text: no dialog ever opens and no element is injected, a shopper writes a review whose bad photo is refused with the
text kept, and votes from the embed without any cookie."""

from __future__ import annotations

import io
import json

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context
from PIL import Image
from playwright.sync_api import expect

from reviews.models import Review, ReviewSettings
from reviews.services import review_moderate, review_reply, review_submit
from shops.api.services import api_key_create
from shops.posts import services as posts
from shops.posts.models import Post
from shops.storefront import services as storefront
from tests.posts.conftest import picture
from tests.reviews.helpers import a_shopper, make_product
from tests.reviews.test_polls import make_poll
from tests.xss import INJECTED
from tests.xss import XSS as CORPUS

pytestmark = pytest.mark.browser
XSS = CORPUS[:8]  # one review each, all on the first page of reviews


def _seed_from_the_api_and_posts(shop) -> tuple[list[str], int]:
    """Products whose title and description are the payloads, created through the
    partner API, and a published post whose caption and picture description are."""
    with tenant_context(shop):
        secret = api_key_create(name="Hostile partner", scopes=["catalog:write"]).secret
        post = posts.post_create(
            images=[posts.ImageInput(file=picture(), alt_text=XSS[1])],
            caption="\n".join(XSS),
            status=Post.Status.PUBLISHED,
            published_at=timezone.now(),
        )
        storefront.section_add(section_type_key="posts_gallery")
        storefront.design_publish()
    connection.set_schema_to_public()
    client = Client(
        HTTP_HOST=f"{shop.slug}.localhost", headers={"Authorization": f"Bearer {secret}"}
    )
    slugs = []
    for index, payload in enumerate(XSS):
        body = {
            "title": payload,
            "description": payload,
            "status": "active",
            "variants": [{"sku": f"XSS-{index}", "price": "5.00", "stock": 3}],
        }
        response = client.post(
            "/api/v1/products/", json.dumps(body), content_type="application/json"
        )
        assert response.status_code == 201, response.content
        slugs.append(response.json()["slug"])
    return slugs, post.pk


def _seed(shop) -> tuple[str, int, int]:
    with tenant_context(shop):
        product = make_product("Critic Mug", slug="critic-mug")
        for index, payload in enumerate(XSS):
            review = review_submit(
                product=product,
                rating=1 + index % 5,
                title=payload[:120],
                body=f"{payload}\n{payload}",
                display_name=payload[:60],
                email="x@example.test",
                shopper=a_shopper(f"10.9.{index}.1"),
            )
            review_moderate(reviews=Review.objects.filter(pk=review.pk), status="approved")
            review_reply(review=review, reply=payload)
        poll = make_poll(XSS[0], options=XSS[1:9])
        ReviewSettings.objects.update_or_create(key=1, defaults={"disclosure_note": XSS[2]})
        for kind in ("poll", "reviews_wall"):
            storefront.section_add(section_type_key=kind)
        storefront.design_publish()
        first = Review.objects.order_by("id").first()
        connection.set_schema_to_public()
    return product.slug, poll.pk, first.pk


def test_the_xss_corpus_renders_as_text_everywhere(
    page, shop_server, committed_shop, django_db_blocker
):
    shop = committed_shop("critic").shop
    with django_db_blocker.unblock():
        slug, poll_id, _ = _seed(shop)
        api_slugs, post_id = _seed_from_the_api_and_posts(shop)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    base = f"http://critic.localhost:{shop_server}"

    paths = [
        "/",
        "/embed/",
        f"/products/{slug}/",
        f"/embed/?product={slug}",
        f"/polls/{poll_id}/",
        "/reviews/about/",
        f"/products/{slug}/?sort=lowest",
        f"/posts/{post_id}/",
        *(f"/products/{s}/" for s in api_slugs),
        *(f"/embed/?product={s}" for s in api_slugs[:2]),
    ]
    for path in paths:
        response = page.goto(base + path)
        assert response.status == 200, path
        page.wait_for_load_state("load")
        assert page.evaluate(INJECTED) == [], path

    page.goto(f"{base}/products/{slug}/")
    text = page.locator("#reviews").inner_text()
    assert dialogs == []
    for payload in XSS:
        assert payload.strip() in text  # shown as the very characters typed
    assert "x@example.test" not in page.content()
    page.goto(f"{base}/products/{api_slugs[0]}/")
    assert page.get_by_role("heading", level=1).inner_text() == XSS[0]
    page.goto(f"{base}/posts/{post_id}/")
    assert XSS[2] in page.locator("body").inner_text()
    assert dialogs == []


def _bad_photo(tmp_path):
    path = tmp_path / "holiday.jpg"
    path.write_bytes(b"GIF89a this is not really an image")
    return path


def test_a_bad_photo_is_refused_and_the_typed_text_is_kept(
    page, shop_server, committed_shop, django_db_blocker, tmp_path
):
    shop = committed_shop("writer").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        make_product("Writer Mug", slug="writer-mug")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"http://writer.localhost:{shop_server}/products/writer-mug/")

    page.get_by_text("Write a review").click()
    page.get_by_label("4 stars").check()
    page.locator("#id_body").fill("Nice mug </textarea><script>alert('typed')</script>")
    page.locator("#id_display_name").fill("<b>Zoe</b>")
    page.locator("#id_photos").set_input_files(str(_bad_photo(tmp_path)))
    with page.expect_navigation():
        page.get_by_role("button", name="Send review").click()

    assert "not an image we can read" in page.locator("#reviews").inner_text()
    assert page.locator("#id_body").input_value() == (
        "Nice mug </textarea><script>alert('typed')</script>"
    )
    assert page.locator("#id_display_name").input_value() == "<b>Zoe</b>"
    assert dialogs == []
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), "olive").save(buffer, "JPEG")
    good = tmp_path / "mug.jpg"
    good.write_bytes(buffer.getvalue())
    page.get_by_label("4 stars").check()
    page.locator("#id_photos").set_input_files(str(good))
    with page.expect_navigation():
        page.get_by_role("button", name="Send review").click()
    assert "Thank you! Your review will appear" in page.content()
    with django_db_blocker.unblock(), tenant_context(shop):
        review = Review.objects.get()
        assert (review.rating, review.photo_count, review.display_name) == (4, 1, "<b>Zoe</b>")


def test_voting_in_the_embed_needs_no_cookie(page, shop_server, committed_shop, django_db_blocker):
    shop = committed_shop("voter").shop
    with django_db_blocker.unblock():
        _seed(shop)
    page.goto(f"http://voter.localhost:{shop_server}/embed/?product=critic-mug&sort=newest")
    form = page.locator("form[data-review-vote]").first

    helpful, not_helpful = (
        form.locator('[data-count="helpful"]'),
        form.locator('[data-count="not_helpful"]'),
    )

    form.get_by_role("button", name="Yes").click()
    page.wait_for_function("() => !!window.localStorage.getItem('etalage-shopper-token')")
    expect(helpful).to_have_text("1")
    # each vote waits for the one before to be counted: sent together, they could arrive
    # in either order (a fixed 300 ms pause was not always enough on a loaded machine)
    with page.expect_response(lambda response: "/vote" in response.url) as again:
        form.get_by_role("button", name="Yes").click()
    assert again.value.json()["helpful"] == 1  # the same vote again counts once
    with page.expect_response(lambda response: "/vote" in response.url):
        form.get_by_role("button", name="No").click()

    expect(helpful).to_have_text("0")
    expect(not_helpful).to_have_text("1")
    assert page.context.cookies() == []
