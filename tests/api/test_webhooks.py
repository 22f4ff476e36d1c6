"""Outbound webhooks: signed deliveries to a receiver on loopback, retries after a 500,
the private-address guard, events from the catalog outbox, the API and the admin."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from django_tenants.utils import tenant_context
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from catalog.services import VariantInput, product_create, product_update, stock_adjust
from shops.webhooks.catalog_events import catalog_events_emit
from shops.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEvent
from shops.webhooks.services import (
    delivery_attempt,
    retry_delay,
    subscription_create,
    webhook_event_emit,
)
from tests.api.conftest import ApiClient, error_of
from tests.conftest import SHOP_PASSWORD

private_allowed = override_settings(WEBHOOK_DELIVERY_PRIVATE=True)


def verify(header: str, body: bytes, secret: str, tolerance: int = 300) -> bool:
    """What a partner writes (the example in docs/api.md): check t and any v1 of the header
    (there are two while a rotated secret's grace period lasts)."""
    pairs = [item.split("=", 1) for item in header.split(",")]
    timestamp = int(next(value for key, value in pairs if key == "t"))
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return abs(time.time() - timestamp) <= tolerance and any(
        hmac.compare_digest(expected.hexdigest(), value) for key, value in pairs if key == "v1"
    )


def test_delivery_is_signed_and_verified_by_the_receiver(
    shop_a, receiver, django_capture_on_commit_callbacks
):
    hook = receiver()
    with tenant_context(shop_a), private_allowed:
        created = subscription_create(url=hook.url, events=["order.paid"])
        with django_capture_on_commit_callbacks(execute=True):
            event = webhook_event_emit(event_type="order.paid", data={"order": {"id": 7}})
        delivery = WebhookDelivery.objects.get(event=event)
        attempt = delivery.attempts.get()

    assert delivery.status == "succeeded"
    assert attempt.status_code == 200
    headers, body = hook.requests[0]
    assert verify(headers["Etalage-Signature"], body, created.secret)
    assert not verify(headers["Etalage-Signature"], body, "whsec_wrong")
    assert not verify(headers["Etalage-Signature"], body + b" ", created.secret)
    payload = json.loads(body)
    assert payload["id"] == str(event.public_id)
    assert (payload["type"], payload["data"]) == ("order.paid", {"order": {"id": 7}})
    assert payload["created"].endswith("Z")


def test_a_partner_verifies_a_delivery_with_the_standardwebhooks_library(
    shop_a, receiver, django_capture_on_commit_callbacks
):
    # given a subscriber whose first attempt fails
    hook = receiver(statuses=[500, 200])
    with tenant_context(shop_a), private_allowed:
        created = subscription_create(url=hook.url, events=["order.paid"])
        # when an event is delivered, then retried
        with django_capture_on_commit_callbacks(execute=True):
            event = webhook_event_emit(event_type="order.paid", data={"order": {"id": 7}})
        delivery = WebhookDelivery.objects.get(event=event)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        delivery_attempt(delivery_id=delivery.pk)

    # then the library verifies each attempt with the secret exactly as it was shown
    (first_headers, first_body), (headers, body) = hook.requests
    assert created.secret.startswith("whsec_")
    payload = Webhook(created.secret).verify(body, headers)
    assert payload["id"] == headers["webhook-id"] == str(event.public_id)
    assert first_headers["webhook-id"] == headers["webhook-id"]  # a retry: the same id
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(created.secret).verify(first_body, first_headers) == payload
    other_secret = "whsec_" + base64.b64encode(b"x" * 32).decode()
    with pytest.raises(WebhookVerificationError):
        Webhook(other_secret).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(created.secret).verify(body.replace(b"7", b"8"), headers)
    # the legacy header still signs, until its deprecation date
    assert verify(headers["Etalage-Signature"], body, created.secret)


def test_a_secret_made_before_the_standard_scheme_still_verifies_with_its_bytes(
    shop_a, receiver, django_capture_on_commit_callbacks
):
    # given a subscription whose secret is of the first kind (URL-safe, unpadded)
    hook = receiver()
    old_secret = "whsec_" + base64.urlsafe_b64encode(b"\xfb" * 32).decode().rstrip("=")
    with tenant_context(shop_a), private_allowed:
        subscription = subscription_create(url=hook.url, events=["order.paid"]).subscription
        type(subscription).objects.filter(pk=subscription.pk).update(secret=old_secret)
        # when
        with django_capture_on_commit_callbacks(execute=True):
            webhook_event_emit(event_type="order.paid", data={"order": {"id": 1}})

    # then the partner hands the library the secret's bytes (docs/api.md says how)
    headers, body = hook.requests[0]
    key = base64.urlsafe_b64decode(old_secret.removeprefix("whsec_") + "=")
    assert "-" in old_secret or "_" in old_secret
    assert Webhook(key).verify(body, headers)["data"] == {"order": {"id": 1}}
    assert verify(headers["Etalage-Signature"], body, old_secret)


def test_no_subscriber_no_event(shop_a):
    with tenant_context(shop_a):
        assert webhook_event_emit(event_type="review.approved", data={}) is None
        assert not WebhookEvent.objects.exists()


def test_a_500_is_retried_with_backoff_and_logged(
    shop_a, receiver, django_capture_on_commit_callbacks
):
    hook = receiver(statuses=[500, 200])
    with tenant_context(shop_a), private_allowed:
        subscription_create(url=hook.url, events=["stock.changed"])
        with django_capture_on_commit_callbacks(execute=True):
            event = webhook_event_emit(event_type="stock.changed", data={"product_id": 1})
        delivery = WebhookDelivery.objects.get(event=event)
        first_wait = delivery.next_attempt_at - timezone.now()
        assert delivery.status == "pending"
        # a minute later, the retry is due
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        delivery_attempt(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        attempts = list(delivery.attempts.values_list("number", "status_code"))

    assert timedelta(seconds=50) < first_wait <= timedelta(minutes=1)
    assert attempts == [(1, 500), (2, 200)]
    assert delivery.status == "succeeded"
    assert len(hook.requests) == 2
    assert hook.requests[0][1] == hook.requests[1][1]  # the same event, signed anew


def test_deliveries_and_their_attempts_through_the_api(
    shop_a, receiver, make_key, django_capture_on_commit_callbacks, django_assert_num_queries
):
    hook = receiver(statuses=[500, 200])
    with tenant_context(shop_a), private_allowed:
        subscription = subscription_create(url=hook.url, events=["order.paid"]).subscription
        with django_capture_on_commit_callbacks(execute=True):
            older = webhook_event_emit(event_type="order.paid", data={"n": 1})
            newer = webhook_event_emit(event_type="order.paid", data={"n": 2})
    client = ApiClient("alpha", make_key(shop_a, ["webhooks:write"]))
    client.get("/api/v1/webhooks/")  # the key's last use is recorded once a minute

    # key, subscription, deliveries with events, attempts; SET search_path (shop cached)
    with django_assert_num_queries(5):
        response = client.get(f"/api/v1/webhooks/{subscription.pk}/deliveries/")

    deliveries = response.json()["results"]
    assert [d["event_id"] for d in deliveries] == [str(newer.public_id), str(older.public_id)]
    assert [[a["status_code"] for a in d["attempts"]] for d in deliveries] == [[200], [500]]
    assert [d["status"] for d in deliveries] == ["succeeded", "pending"]


def test_backoff_is_exponential_and_gives_up_after_three_days(shop_a, receiver):
    hook = receiver(statuses=[503])
    assert [retry_delay(n) for n in (1, 2, 3, 10, 20)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=512),
        timedelta(hours=12),
    ]
    with tenant_context(shop_a), private_allowed:
        subscription_create(url=hook.url, events=["order.created"])
        event = webhook_event_emit(event_type="order.created", data={})
        delivery = WebhookDelivery.objects.get(event=event)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            created=timezone.now() - timedelta(days=3)
        )
        delivery_attempt(delivery_id=delivery.pk)
        delivery.refresh_from_db()

    assert delivery.status == "failed"
    assert delivery.last_status_code == 503


def test_no_delivery_to_a_private_address_when_the_guard_is_on(shop_a, receiver):
    hook = receiver()
    with tenant_context(shop_a):
        with private_allowed:
            subscription_create(url=hook.url, events=["order.created"])
        with override_settings(WEBHOOK_DELIVERY_PRIVATE=False):
            event = webhook_event_emit(event_type="order.created", data={})
            delivery = delivery_attempt(delivery_id=WebhookDelivery.objects.get(event=event).pk)
        attempt = WebhookAttempt.objects.get(delivery=delivery)

    assert hook.requests == []
    assert attempt.status_code is None
    assert "127.0.0.1" in attempt.error and "private address" in attempt.error
    assert delivery.status == "pending"  # retried later: the setting may be fixed meanwhile


def test_subscribing_a_private_url_is_refused_when_the_guard_is_on(shop_a, make_key):
    client = ApiClient("alpha", make_key(shop_a, ["webhooks:write"]))

    with override_settings(WEBHOOK_DELIVERY_PRIVATE=False):
        loopback = client.post(
            "/api/v1/webhooks/", {"url": "http://127.0.0.1:9/x", "events": ["order.paid"]}
        )
        metadata = client.post(
            "/api/v1/webhooks/",
            {"url": "http://169.254.169.254/latest", "events": ["order.paid"]},
        )
        ftp = client.post(
            "/api/v1/webhooks/", {"url": "ftp://example.com/", "events": ["order.paid"]}
        )

    assert loopback.status_code == metadata.status_code == 400
    assert error_of(loopback)["field"] == "url"
    assert "private" in error_of(metadata)["message"]
    assert error_of(ftp)["field"] == "url"


def test_catalog_outbox_becomes_product_and_stock_events(
    shop_a, receiver, django_capture_on_commit_callbacks
):
    hook = receiver()
    with tenant_context(shop_a), private_allowed:
        before = product_create(title="Old news", variants=[VariantInput(sku="OLD", price="1")])
        catalog_events_emit()  # nobody subscribed yet: skipped
        subscription_create(url=hook.url, events=["product.updated", "stock.changed"])
        product = product_create(title="Lamp", variants=[VariantInput(sku="LAMP", price="30")])
        variant = product.variants.get()
        stock_adjust(variant=variant, delta=4)
        product_update(product=before, title="New news")
        with django_capture_on_commit_callbacks(execute=True):
            read = catalog_events_emit()
        again = catalog_events_emit()

    assert (read, again) == (3, 0)
    received = [json.loads(body) for _headers, body in hook.requests]
    summary = [(e["type"], e["data"]["product_id"]) for e in received]
    assert sorted(summary) == sorted(
        [
            ("product.updated", product.pk),
            ("stock.changed", product.pk),
            ("stock.changed", product.pk),
            ("product.updated", before.pk),
        ]
    )
    stock_events = [e["data"] for e in received if e["type"] == "stock.changed"]
    assert stock_events[-1]["variants"] == [
        {"id": variant.pk, "sku": "LAMP", "stock": 4, "held": 0, "available": 4}
    ]
    lamp = next(
        e["data"]
        for e in received
        if e["data"]["product_id"] == product.pk and e["type"] == "product.updated"
    )
    assert lamp["product"]["variants"][0]["price"] == "30.00"
    assert lamp["currency"] == "EUR" and lamp["deleted"] is False


def test_a_new_subscriber_receives_only_what_happens_after_it_subscribed(
    shop_a, receiver, make_key, django_capture_on_commit_callbacks
):
    # given a catalog history the outbox reader never read (no subscriber, no run yet)
    hook = receiver()
    with tenant_context(shop_a), private_allowed:
        history = [
            product_create(title=f"Old {n}", variants=[VariantInput(sku=f"OLD{n}", price="1")])
            for n in range(12)
        ]
        stock_adjust(variant=history[0].variants.get(), delta=5)
    # when a partner subscribes through the API, then one product changes
    api = ApiClient("alpha", make_key(shop_a, ["webhooks:write"]))
    with private_allowed:
        subscribed = api.post(
            "/api/v1/webhooks/",
            {"url": hook.url, "events": ["product.updated", "stock.changed"]},
        )
    with tenant_context(shop_a), private_allowed:
        product_update(product=history[3], title="Old 3, renamed")
        with django_capture_on_commit_callbacks(execute=True):
            read = catalog_events_emit()
        events = WebhookEvent.objects.count()

    # then it receives that change only, never the history before it subscribed
    assert subscribed.status_code == 201
    received = [json.loads(body) for _headers, body in hook.requests]
    assert [(e["type"], e["data"]["product_id"]) for e in received] == [
        ("product.updated", history[3].pk)
    ]
    assert received[0]["data"]["product"]["title"] == "Old 3, renamed"
    assert read == 14 and events == 1  # the history is passed over, not sent


def test_subscriptions_through_the_api(shop_a, make_key):
    client = ApiClient("alpha", make_key(shop_a, ["webhooks:write"]))
    reader = ApiClient("alpha", make_key(shop_a, ["catalog:read"]))

    with private_allowed:  # no DNS lookups of the partner's host in tests
        created = client.post(
            "/api/v1/webhooks/",
            {"url": "https://partner.example/hooks", "events": ["order.paid", "stock.changed"]},
        )
        unknown = client.post(
            "/api/v1/webhooks/", {"url": "https://x.example/", "events": ["nope"]}
        )
    listed = client.get("/api/v1/webhooks/")
    paused = client.patch(f"/api/v1/webhooks/{created.json()['id']}/", {"is_active": False})
    refused = reader.get("/api/v1/webhooks/")

    assert created.status_code == 201
    assert created.json()["secret"].startswith("whsec_")
    assert "secret" not in listed.json()["results"][0]
    assert paused.json()["is_active"] is False
    assert refused.status_code == 403
    assert (error_of(unknown)["field"], error_of(unknown)["code"]) == (
        "events[0]",
        "invalid_choice",
    )
    assert client.delete(f"/api/v1/webhooks/{created.json()['id']}/").status_code == 204


def test_shop_a_key_cannot_see_shop_b_subscriptions(shop_a, shop_b, make_key):
    with tenant_context(shop_b), private_allowed:
        theirs = subscription_create(url="https://beta.example/", events=["order.paid"])
    client = ApiClient("alpha", make_key(shop_a, ["webhooks:write"]))

    listed = client.get("/api/v1/webhooks/")
    with tenant_context(shop_a):
        from shops.webhooks.models import WebhookSubscription

        alpha_has_that_id = WebhookSubscription.objects.filter(pk=theirs.subscription.pk).exists()
    removed = client.delete(f"/api/v1/webhooks/{theirs.subscription.pk}/")

    assert "beta.example" not in json.dumps(listed.json())
    if not alpha_has_that_id:
        assert removed.status_code == 404
    with tenant_context(shop_b):
        assert WebhookSubscription.objects.filter(pk=theirs.subscription.pk).exists()


def test_admin_shows_the_secret_once_and_replays_a_delivery(
    shop_a, receiver, django_capture_on_commit_callbacks
):
    hook = receiver()
    client = Client(HTTP_HOST="alpha.localhost")
    client.post("/admin/login/", {"username": "owner@alpha.test", "password": SHOP_PASSWORD})

    with private_allowed:
        page = client.post(
            "/admin/webhooks/webhooksubscription/add/",
            {"url": hook.url, "events": ["order.paid"], "is_active": "on"},
        )
    with tenant_context(shop_a), private_allowed:
        from shops.webhooks.models import WebhookSubscription

        subscription = WebhookSubscription.objects.get(url=hook.url)
        event = webhook_event_emit(event_type="order.paid", data={"n": 1})
        delivery = WebhookDelivery.objects.get(event=event)
    with private_allowed, django_capture_on_commit_callbacks(execute=True):
        replayed = client.post(
            "/admin/webhooks/webhookdelivery/",
            {"action": "send_again", "_selected_action": [delivery.pk]},
        )
    listing = client.get("/admin/webhooks/webhooksubscription/")

    assert page.status_code == 200
    assert subscription.secret in page.content.decode()
    assert subscription.secret not in listing.content.decode()
    assert replayed.status_code == 302
    with tenant_context(shop_a):
        assert WebhookDelivery.objects.filter(event=event).count() == 2
    assert len(hook.requests) == 1  # the replay (the first was never attempted here)


@pytest.fixture
def worker_delivers_to_loopback(monkeypatch):
    """The worker reads its settings from the environment: allow the loopback receiver."""
    monkeypatch.setenv("WEBHOOK_DELIVERY_PRIVATE", "true")


@pytest.mark.worker
def test_real_worker_delivers_in_the_shops_schema_after_commit(
    worker_delivers_to_loopback, worker, committed_shop, django_db_blocker, receiver
):
    from django.db import transaction

    hook = receiver()
    shop = committed_shop("hooked").shop
    with django_db_blocker.unblock(), tenant_context(shop), private_allowed:
        created = subscription_create(url=hook.url, events=["order.paid"])
        with transaction.atomic():
            event = webhook_event_emit(event_type="order.paid", data={"order": {"id": 1}})
            time.sleep(0.5)
            assert hook.requests == []  # nothing leaves before the change commits

    deadline = time.monotonic() + 60
    while not hook.requests and time.monotonic() < deadline:
        time.sleep(0.1)
    with django_db_blocker.unblock(), tenant_context(shop):
        while time.monotonic() < deadline:
            delivery = WebhookDelivery.objects.get(event=event)
            if delivery.status != "pending":
                break
            time.sleep(0.1)

    headers, body = hook.requests[0]
    assert verify(headers["Etalage-Signature"], body, created.secret)
    assert json.loads(body)["id"] == str(event.public_id)
    assert delivery.status == "succeeded"


def test_catalog_events_wait_at_a_gap_until_it_is_old(
    shop_a, receiver, django_capture_on_commit_callbacks
):
    """An id not committed yet (here: deleted) holds back the rows after it for a while."""
    from catalog.models import CatalogChange
    from shops.webhooks.catalog_events import GAP_GRACE

    hook = receiver()
    with tenant_context(shop_a), private_allowed:
        subscription = subscription_create(url=hook.url, events=["product.updated"])
        # subscribed before the rows below, even the one made to look old
        type(subscription.subscription).objects.update(
            created=timezone.now() - GAP_GRACE - timedelta(minutes=1)
        )
        catalog_events_emit()
        first = product_create(title="First")
        gap = product_create(title="In flight")
        after = product_create(title="After")
        CatalogChange.objects.filter(product_id=gap.pk).delete()
        with django_capture_on_commit_callbacks(execute=True):
            read_now = catalog_events_emit()
        CatalogChange.objects.filter(product_id=after.pk).update(
            created=timezone.now() - GAP_GRACE - timedelta(seconds=1)
        )
        with django_capture_on_commit_callbacks(execute=True):
            read_later = catalog_events_emit()

    assert (read_now, read_later) == (1, 1)
    sent = [json.loads(body)["data"]["product_id"] for _headers, body in hook.requests]
    assert sent == [first.pk, after.pk]


def test_scheduled_per_shop_tasks_exist():
    from django.conf import settings

    from config.celery import app

    app.loader.import_default_modules()  # as a worker does at start
    names = [entry["args"][0] for entry in settings.CELERY_BEAT_SCHEDULE.values()]

    assert {"webhooks.catalog_events", "webhooks.deliveries_due", "api.idempotency_expire"} <= set(
        names
    )
    assert all(name in app.tasks for name in names)


def test_lost_or_long_retries_are_queued_by_the_sweep(
    shop_a, receiver, django_capture_on_commit_callbacks
):
    from shops.webhooks.tasks import deliveries_due

    hook = receiver()
    with tenant_context(shop_a), private_allowed:
        subscription_create(url=hook.url, events=["order.created"])
        event = webhook_event_emit(event_type="order.created", data={})  # task never ran
        with django_capture_on_commit_callbacks(execute=True):
            queued = deliveries_due.delay().get()
        delivery = WebhookDelivery.objects.get(event=event)

    assert queued == 1
    assert delivery.status == "succeeded"
    assert len(hook.requests) == 1


def test_rotated_secret_signs_beside_the_old_one_until_the_grace_period_ends(
    shop_a, receiver, make_key, django_capture_on_commit_callbacks
):
    hook = receiver()
    api = ApiClient("alpha", make_key(shop_a, ["webhooks:write"]))
    with tenant_context(shop_a), private_allowed:
        old = subscription_create(url=hook.url, events=["order.paid"])

    def deliver() -> tuple[str, bytes]:
        with (
            tenant_context(shop_a),
            private_allowed,
            django_capture_on_commit_callbacks(execute=True),
        ):
            webhook_event_emit(event_type="order.paid", data={"order": {"id": 1}})
        headers, body = hook.requests[-1]
        return headers["Etalage-Signature"], body

    with override_settings(WEBHOOK_SECRET_GRACE_HOURS=24):
        rotated = api.post(f"/api/v1/webhooks/{old.subscription.pk}/rotate-secret/")
    new_secret = rotated.json()["secret"]
    during_header, during_body = deliver()
    with tenant_context(shop_a):  # the grace period is over
        from shops.webhooks.models import WebhookSubscription

        WebhookSubscription.objects.filter(pk=old.subscription.pk).update(
            previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
        )
    after_header, after_body = deliver()
    listed = api.get(f"/api/v1/webhooks/{old.subscription.pk}/")

    assert rotated.status_code == 200
    assert new_secret.startswith("whsec_") and new_secret != old.secret
    expires = rotated.json()["previous_secret_expires_at"]
    assert expires.endswith("Z")
    assert abs(
        (timezone.datetime.fromisoformat(expires) - timezone.now()) - timedelta(hours=24)
    ) < timedelta(minutes=1)
    assert during_header.count("v1=") == 2
    assert verify(during_header, during_body, new_secret)
    assert verify(during_header, during_body, old.secret)
    assert after_header.count("v1=") == 1
    during, after = hook.requests[-2], hook.requests[-1]
    assert during[0]["webhook-signature"].count("v1,") == 2
    assert Webhook(old.secret).verify(during[1], during[0])
    assert Webhook(new_secret).verify(during[1], during[0])
    assert Webhook(new_secret).verify(after[1], after[0])
    with pytest.raises(WebhookVerificationError):
        Webhook(old.secret).verify(after[1], after[0])
    assert verify(after_header, after_body, new_secret)
    assert not verify(after_header, after_body, old.secret)
    assert new_secret not in listed.content.decode() and old.secret not in listed.content.decode()


def test_rotation_with_no_grace_stops_the_old_secret_at_once_and_replays(shop_a, make_key):
    api = ApiClient("alpha", make_key(shop_a, ["webhooks:write"]))
    with tenant_context(shop_a), private_allowed:
        created = subscription_create(url="https://partner.example/", events=["order.paid"])
    path = f"/api/v1/webhooks/{created.subscription.pk}/rotate-secret/"

    with override_settings(WEBHOOK_SECRET_GRACE_HOURS=0):
        rotated = api.post(path, headers={"Idempotency-Key": "rotate-1"})
        replayed = api.post(path, headers={"Idempotency-Key": "rotate-1"})

    assert rotated.json()["previous_secret_expires_at"] is None
    assert replayed["Idempotent-Replayed"] == "true" and replayed.json() == rotated.json()
    with tenant_context(shop_a):
        subscription = type(created.subscription).objects.get(pk=created.subscription.pk)
    assert subscription.secret == rotated.json()["secret"]  # rotated once, not twice
    assert subscription.signing_secrets() == [subscription.secret]


def test_admin_rotates_a_secret_and_shows_it_once(shop_a):
    client = Client(HTTP_HOST="alpha.localhost")
    client.post("/admin/login/", {"username": "owner@alpha.test", "password": SHOP_PASSWORD})
    with tenant_context(shop_a), private_allowed:
        created = subscription_create(url="https://partner.example/", events=["order.paid"])
        other = subscription_create(url="https://other.example/", events=["order.paid"])

    page = client.post(
        "/admin/webhooks/webhooksubscription/",
        {
            "action": "rotate_secret",
            "_selected_action": [created.subscription.pk],
        },
    )
    two = client.post(
        "/admin/webhooks/webhooksubscription/",
        {
            "action": "rotate_secret",
            "_selected_action": [created.subscription.pk, other.subscription.pk],
        },
        follow=True,
    )
    with tenant_context(shop_a):
        subscription = type(created.subscription).objects.get(pk=created.subscription.pk)
        untouched = type(created.subscription).objects.get(pk=other.subscription.pk)

    assert page.status_code == 200
    assert subscription.secret != created.secret and subscription.secret in page.content.decode()
    assert subscription.signing_secrets() == [subscription.secret, created.secret]
    assert "one subscription at a time" in two.content.decode()
    assert untouched.secret == other.secret


def test_the_change_page_button_rotates_the_secret(shop_a):
    client = Client(HTTP_HOST="alpha.localhost")
    client.post("/admin/login/", {"username": "owner@alpha.test", "password": SHOP_PASSWORD})
    with tenant_context(shop_a), private_allowed:
        created = subscription_create(url="https://partner.example/", events=["order.paid"])
    change_url = f"/admin/webhooks/webhooksubscription/{created.subscription.pk}/change/"
    rotate_url = f"/admin/webhooks/webhooksubscription/{created.subscription.pk}/rotate-secret/"

    change_page = client.get(change_url).content.decode()
    by_get = client.get(rotate_url)
    page = client.post(rotate_url)
    with tenant_context(shop_a):
        subscription = type(created.subscription).objects.get(pk=created.subscription.pk)

    assert f'action="{rotate_url}"' in change_page and "Rotate the signing secret" in change_page
    assert by_get.status_code == 302  # a GET changes nothing
    assert page.status_code == 200 and subscription.secret in page.content.decode()
    assert subscription.signing_secrets() == [subscription.secret, created.secret]
