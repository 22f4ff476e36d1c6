"""Review requests: fulfilling an order records one request per order line, due
``REVIEWS_REQUEST_DELAY_SECONDS`` later; a Celery beat task (every shop, every
``REVIEWS_REQUEST_INTERVAL_SECONDS``) emails the buyer of each order with due requests
one signed, expiring link per line. (A due date in the database rather than a
countdown: a broker holds a week-long countdown badly, and a row survives restarts.)
The link is signed with ``django.core.signing`` salted with the shop's schema, so it
is worthless in any other shop, and it is the only way a review becomes "Verified buyer"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from orders.models import Order, OrderActivity, OrderLine
from orders.services.activity import order_activity_add
from reviews.models import ReviewRequest, ReviewSettings
from shops.consent.models import MarketingHeld
from shops.consent.services import marketing_message, marketing_recipients
from shops.selectors import current_shop, shop_url


class ReviewLinkError(Exception):
    """A review link that is tampered with, from another shop, or expired."""


def _salt() -> str:
    return f"reviews.request:{connection.schema_name}"


def review_link_token(*, order_line: OrderLine) -> str:
    return signing.dumps({"line": order_line.pk}, salt=_salt(), compress=True)


def review_link_line(token: str) -> OrderLine:
    """The order line a review link was made for; ``ReviewLinkError`` says why not."""
    max_age = settings.REVIEWS_REQUEST_LINK_DAYS * 24 * 3600
    try:
        value = signing.loads(token, salt=_salt(), max_age=max_age)
    except signing.SignatureExpired:
        raise ReviewLinkError("This review link has expired.") from None
    except signing.BadSignature:
        raise ReviewLinkError("This review link is not valid in this shop.") from None
    line = (
        OrderLine.objects.select_related("order").filter(pk=value.get("line")).first()
        if isinstance(value, dict)
        else None
    )
    if line is None:
        raise ReviewLinkError("This purchase cannot be found any more.")
    return line


# orders whose buyer is asked about the items shipped; one refunded in part is too, for
# the items not refunded
SHIPPED_STATUSES = (
    Order.Status.PARTIALLY_FULFILLED,
    Order.Status.FULFILLED,
    Order.Status.PARTIALLY_REFUNDED,
)


def review_requests_schedule(*, order: Order, lines: Sequence[OrderLine] | None = None) -> int:
    """Record a review request per line just shipped (``lines``, all of ``order``'s when
    None) in the fulfilment's transaction, due after the configured delay; a line is
    asked about once."""
    settings_row = ReviewSettings.objects.filter(key=1).first()
    if settings_row is not None and not settings_row.requests_enabled:
        return 0
    due_at = timezone.now() + timedelta(seconds=settings.REVIEWS_REQUEST_DELAY_SECONDS)
    created = ReviewRequest.objects.bulk_create(
        [
            ReviewRequest(order_line=line, due_at=due_at)
            for line in (order.lines.all() if lines is None else lines)
        ],
        ignore_conflicts=True,
    )
    return len(created)


def review_requests_send_due(*, base_url: str = "", limit: int = 200) -> int:
    """Email every buyer whose review requests are due (one email per order, one link
    per line); returns how many lines were asked about. Rows are locked while sent
    (``skip_locked``), so two workers never send the same request. A review request is
    marketing: one the consent gate refuses (``marketing_recipients``) is not sent, its
    rows closed and the order's timeline says why."""
    base_url = (base_url or shop_url(current_shop())).rstrip("/")
    sent = 0
    with transaction.atomic():
        requests = list(
            ReviewRequest.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("order_line__order")
            .filter(sent_at__isnull=True, due_at__lte=timezone.now())
            .order_by("due_at", "id")[:limit]
        )
        by_order: dict[int, list[ReviewRequest]] = {}
        for request in requests:
            by_order.setdefault(request.order_line.order_id, []).append(request)
        due: list[tuple[Order, list[OrderLine]]] = []
        for order_requests in by_order.values():
            order = order_requests[0].order_line.order
            lines = [
                r.order_line
                for r in order_requests
                if r.order_line.refunded_quantity < r.order_line.quantity
            ]
            if order.status in SHIPPED_STATUSES and lines:  # else refunded since: no request
                due.append((order, lines))
        allowed = marketing_recipients(
            {order.email: (order.shipping_address or {}).get("country", "") for order, _ in due},
            kind=MarketingHeld.Kind.REVIEW_REQUEST,
        )
        for order, lines in due:
            if order.email.strip().lower() not in allowed:
                order_activity_add(
                    order=order,
                    kind=OrderActivity.Kind.EMAIL,
                    message="Review request not sent: no marketing consent from the buyer.",
                )
                continue
            _send(order=order, lines=lines, base_url=base_url)
            sent += len(lines)
        ReviewRequest.objects.filter(pk__in=[r.pk for r in requests]).update(sent_at=timezone.now())
    return sent


def _send(*, order: Order, lines: list[OrderLine], base_url: str) -> None:
    links = [
        {
            "title": line.title,
            "url": base_url
            + reverse("review-write", kwargs={"token": review_link_token(order_line=line)}),
        }
        for line in lines
    ]
    shop = current_shop()
    marketing_message(
        to=order.email,
        subject=f"How do you like your order from {shop.name}?",
        text=render_to_string(
            "reviews/email/request.txt",
            {
                "order": order,
                "links": links,
                "shop": shop,
                "days": settings.REVIEWS_REQUEST_LINK_DAYS,
            },
        ),
    ).send()
    order_activity_add(
        order=order,
        kind=OrderActivity.Kind.EMAIL,
        message=f"To {order.email}: a review request for {len(lines)} item(s).",
    )
