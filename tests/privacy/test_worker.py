"""The "My data" email is the worker's: a real Celery worker sends the link to an email
the shop knows, and nothing to one it does not (asked first, so handled first by the
one-process worker)."""

from __future__ import annotations

import re
import uuid

import pytest
from django_tenants.utils import tenant_context

from shops.privacy.services import privacy_link_email, privacy_link_request
from tests.conftest import tasks_sent_to, wait_until, worker_start, worker_stop
from tests.privacy.helpers import EMAIL, shopper_footprint
from tests.reviews.fake_smtp import FakeSMTP

pytestmark = pytest.mark.worker

LINK = re.compile(r"http://[^/\s]+/my-data/([^/\s]+)/")


def test_a_real_worker_emails_the_link_only_to_a_known_email(
    committed_shop, django_db_blocker, media
):
    shop = committed_shop("remembered").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        shopper_footprint()
    queue = f"test-{uuid.uuid4().hex[:8]}"
    with FakeSMTP() as smtp:
        worker = worker_start(
            queue=queue,
            media_root=media,
            env={"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp.port), "EMAIL_USE_TLS": "0"},
        )
        try:
            with tasks_sent_to(queue), django_db_blocker.unblock(), tenant_context(shop):
                address = "http://remembered.localhost"
                privacy_link_request(email="stranger@example.com", shop_address=address)
                privacy_link_request(email=EMAIL.upper(), shop_address=address)
            sent = wait_until(lambda: bool(smtp.received), django_db_blocker, 60)
        finally:
            worker_stop(worker)

    assert sent, "the worker sent no link"
    [(recipients, message)] = smtp.received
    assert recipients == [EMAIL]
    assert message["Subject"] == "Your data at Remembered"
    token = LINK.search(message.get_content()).group(1)
    with django_db_blocker.unblock(), tenant_context(shop):
        assert privacy_link_email(token) == EMAIL
