"""Platform-wide tasks."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.core.mail import send_mail
from django_tenants.utils import schema_context

from shops.models import Shop
from shops.queueing import task_named, task_queue

# How a task that sends mail retries while the mail server is down: smtplib's errors,
# connection refused and DNS failures are OSErrors; backoff up to 10 minutes.
MAIL_RETRY: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": (OSError,),
    "retry_backoff": True,
    "retry_backoff_max": 600,
}


@shared_task(name="shops.for_each_shop")
def for_each_shop(task_name: str, args: list[Any] | None = None, kwargs: dict | None = None) -> int:
    """Queue ``task_name`` once per active shop, each copy in that shop's schema.

    This is how a beat schedule reaches every shop: schedule ``shops.for_each_shop``
    with the task's name as its argument (see CELERY_BEAT_SCHEDULE in docs/operations.md).
    Returns how many shops the task was queued for.
    """
    task = task_named(task_name)
    schemas = list(
        Shop.objects.filter(status=Shop.Status.ACTIVE).values_list("schema_name", flat=True)
    )
    for schema in schemas:
        with schema_context(schema):
            task_queue(task, *(args or []), **(kwargs or {}))
    return len(schemas)


@shared_task(name="shops.email_send", max_retries=8, **MAIL_RETRY)
def email_send(subject: str, message: str, recipients: list[str]) -> None:
    """Send one account email (find my shop, a password reset) from the worker, so that
    no request waits on, or fails because of, the mail server; retried while it is down."""
    send_mail(subject=subject, message=message, from_email=None, recipient_list=recipients)
