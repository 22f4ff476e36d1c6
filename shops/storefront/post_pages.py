"""The shopper's page of a shoppable post. It sets and reads no cookie; its click-through
beacon is an API endpoint (``shops.api.posts.shopper``)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import Truncator

from shops.media import stored_image_url
from shops.posts import selectors
from shops.posts.models import Post
from shops.storefront.selectors import shop_theme


def post_meta(request: HttpRequest, post: Post) -> dict:
    """Title, description, canonical URL and picture for the post page's Open Graph tags."""
    caption = " ".join((post.caption or "").split())
    image = post.shown_images[0] if post.shown_images else None
    title = Truncator(caption).chars(70) if caption else f"Post from {request.shop.name}"
    description = Truncator(caption).chars(200) if caption else title
    if post.is_paid_partnership:
        description = f"Paid partnership with {post.partner_name}. {description}"
    return {
        "title": title,
        "description": description,
        "canonical_url": request.build_absolute_uri(
            reverse("post-page", kwargs={"post_id": post.id})
        ),
        "image_url": request.build_absolute_uri(stored_image_url(image.stored, 1080))
        if image
        else "",
        "image_width": image.width if image else None,
        "image_height": image.height if image else None,
        "image_alt": (image.alt_text or title) if image else "",
    }


def post_page(request: HttpRequest, post_id: int) -> HttpResponse:
    """``/posts/<id>/``: a published post, its tags opening the product with buy-now."""
    try:
        post = selectors.post_for_page(post_id=post_id)
    except Post.DoesNotExist:
        raise Http404("No such post in this shop") from None
    context = {
        "post": post,
        "meta": post_meta(request, post),
        "currency": request.shop.currency,
        "embed": False,
        **shop_theme(),
    }
    return render(request, "posts/post_page.html", context)
