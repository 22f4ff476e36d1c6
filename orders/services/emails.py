"""Emails to the shopper about their order, sent by a Celery task after the commit."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string

from orders.models import Order, OrderActivity
from orders.services.activity import order_activity_add
from shops.selectors import current_shop

EMAIL_SUBJECTS = {
    "confirmation": "Your order {number} is confirmed",
    "shipped": "Your order {number} is on its way",
    "refunded": "Your order {number} was refunded",
}


def order_email_on_commit(order: Order, kind: str) -> None:
    """Queue the email ``kind`` about ``order`` once the transaction commits."""
    from orders.tasks import order_email

    order_id = order.id
    transaction.on_commit(lambda: order_email.delay(order_id, kind))


def order_email_send(*, order_id: int, kind: str) -> bool:
    """Email the shopper about their order (confirmation, shipped, refunded)."""
    order = Order.objects.prefetch_related("lines").filter(id=order_id).first()
    if order is None or kind not in EMAIL_SUBJECTS:
        return False
    shop = current_shop()  # also under a task's stand-in tenant
    context = {"order": order, "lines": list(order.lines.all()), "shop": shop}
    subject = EMAIL_SUBJECTS[kind].format(number=order.number)
    send_mail(
        subject=subject,
        message=render_to_string(f"orders/email/{kind}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[order.email],
    )
    order_activity_add(
        order=order, kind=OrderActivity.Kind.EMAIL, message=f"To {order.email}: “{subject}”."
    )
    return True
