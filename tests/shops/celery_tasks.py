"""Tasks used by the Celery tests; the test worker imports this module with --include."""

from celery import shared_task
from django.db import connection

from shops.accounts.models import User


@shared_task(name="tests.record_schema")
def record_schema(email: str) -> str:
    """Leave a trace in whichever schema the task runs in, and say which one that was."""
    User.objects.create_user(email=email, password=None)
    return connection.schema_name
