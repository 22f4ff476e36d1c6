"""Shopper pages and endpoints of shoppable posts: the post page and the click-through
beacon. Neither sets nor reads a cookie."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import Truncator
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from shops.json_input import JsonUnreadable, json_input
from shops.media import stored_image_url
from shops.posts import selectors, services
from shops.posts.models import Post
from shops.ratelimits import rate_limited
from shops.storefront.selectors import shop_theme

MAX_EVENTS_BODY_BYTES = 8 * 1024


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


def _error(status: int, code: str, message: str) -> JsonResponse:
    """The error shape of the project's JSON endpoints."""
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


@csrf_exempt
@require_POST
@rate_limited("post_events", setting="POSTS_RATE_EVENTS")
def post_events(request: HttpRequest) -> HttpResponse:
    """``POST /api/v1/post-events/`` (navigator.sendBeacon): ``{"view": <page view token>,
    "events": [{"post": <id>, "kind": "impression" | "click"}, …]}``.

    Always answers 204 at once for a well-formed body (unknown posts are dropped), 400
    otherwise (JSON error); one ``INSERT … ON CONFLICT`` statement counts the lot.
    Over ``POSTS_RATE_EVENTS`` per client address and shop: 429 with Retry-After."""
    if len(request.body) > MAX_EVENTS_BODY_BYTES:
        return _error(413, "too_large", "Send at most 8 KB of events at once.")
    try:
        data = json_input(request.body or b"null")
    except JsonUnreadable:
        data = None
    events = data.get("events") if isinstance(data, dict) else None
    if not isinstance(events, list):
        return _error(400, "invalid", 'Send {"view": …, "events": [{"post": id, "kind": …}]}.')
    services.post_events_record(
        events=(
            (event.get("post"), event.get("kind")) for event in events if isinstance(event, dict)
        )
    )
    return HttpResponse(status=204)
