"""GET /api/v1/events/: the shop's past events for catch-up, paginated by cursor, filtered
by type and since, one shop's only, kept for WEBHOOK_EVENT_RETENTION_DAYS."""

from __future__ import annotations

import importlib
import json
from datetime import timedelta

from django.apps import apps as django_apps
from django.test import Client, override_settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from shops.api.models import ApiKey
from shops.api.services import api_key_create
from shops.webhooks.models import EventType, WebhookDelivery, WebhookEvent
from shops.webhooks.services import (
    event_body,
    events_prune,
    subscription_create,
    webhook_event_emit,
)
from tests.api.conftest import ApiClient, error_of

private_allowed = override_settings(WEBHOOK_DELIVERY_PRIVATE=True)
NOWHERE = "http://127.0.0.1:9/hooks"  # deliveries are queued, never attempted here


def _emit(shop, events: list[tuple[str, dict]]) -> list[WebhookEvent]:
    with tenant_context(shop), private_allowed:
        if not WebhookEvent.objects.exists():
            subscription_create(url=NOWHERE, events=["order.paid", "review.approved"])
        return [webhook_event_emit(event_type=t, data=d) for t, d in events]


def _all_pages(api: ApiClient, query: dict) -> tuple[list[dict], int]:
    pages, url, data = [], "/api/v1/events/", query
    while url:
        response = api.get(url, data)
        assert response.status_code == 200, response.content
        pages.append(response.json())
        url, data = response.json()["next"], None
    return [event for page in pages for event in page["results"]], len(pages)


def test_events_list_oldest_first_by_cursor_as_the_deliveries_carry_them(
    shop_a, make_key, django_assert_max_num_queries
):
    # given
    emitted = _emit(shop_a, [("order.paid", {"order": {"id": n}}) for n in range(5)])
    api = ApiClient("alpha", make_key(shop_a, ["events:read"]))
    api.get("/api/v1/events/")  # the key's last use is recorded once a minute

    # when
    events, pages = _all_pages(api, {"limit": 2})
    with django_assert_max_num_queries(4):
        api.get("/api/v1/events/", {"limit": 100})

    # then
    assert pages == 3
    assert [e["id"] for e in events] == [str(event.public_id) for event in emitted]
    with tenant_context(shop_a):
        delivered = json.loads(event_body(WebhookEvent.objects.get(pk=emitted[0].pk)))
    assert events[0] == delivered


def test_events_filtered_by_type_and_since(shop_a, make_key):
    # given
    older = _emit(shop_a, [("order.paid", {"n": 1}), ("review.approved", {"n": 2})])
    with tenant_context(shop_a):
        WebhookEvent.objects.filter(pk__in=[e.pk for e in older]).update(
            created=timezone.now() - timedelta(days=2)
        )
    newer = _emit(shop_a, [("order.paid", {"n": 3}), ("review.approved", {"n": 4})])
    api = ApiClient("alpha", make_key(shop_a, ["events:read"]))
    since = (timezone.now() - timedelta(days=1)).isoformat()

    # when
    paid, _ = _all_pages(api, {"type": "order.paid"})
    recent, _ = _all_pages(api, {"since": since})
    recent_reviews, _ = _all_pages(api, {"since": since, "type": "review.approved"})
    unknown = api.get("/api/v1/events/", {"type": "order.lost"})
    bad_since = api.get("/api/v1/events/", {"since": "last tuesday"})

    # then
    assert [e["data"]["n"] for e in paid] == [1, 3]
    assert [e["id"] for e in recent] == [str(e.public_id) for e in newer]
    assert [e["data"]["n"] for e in recent_reviews] == [4]
    assert unknown.status_code == 400 and error_of(unknown)["field"] == "type"
    assert bad_since.status_code == 400 and error_of(bad_since)["field"] == "since"


def test_shop_b_key_never_sees_shop_a_events(shop_a, shop_b, make_key):
    # given
    _emit(shop_a, [("order.paid", {"order": {"id": 1, "email": "ann@example.com"}})])
    theirs = _emit(shop_b, [("order.paid", {"order": {"id": 2}})])
    key_b = make_key(shop_b, ["events:read"])

    # when
    on_b, _ = _all_pages(ApiClient("beta", key_b), {})
    b_key_on_a = ApiClient("alpha", key_b).get("/api/v1/events/")
    without_scope = ApiClient("alpha", make_key(shop_a, ["orders:read"])).get("/api/v1/events/")

    # then
    assert [e["id"] for e in on_b] == [str(theirs[0].public_id)]
    assert "ann@example.com" not in json.dumps(on_b)
    assert b_key_on_a.status_code == 401
    assert without_scope.status_code == 403


def test_events_read_reads_events_and_not_the_subscriptions_or_their_secrets(shop_a, make_key):
    # given: a key for catching up only
    _emit(shop_a, [("order.paid", {"order": {"id": 1}})])
    api = ApiClient("alpha", make_key(shop_a, ["events:read"]))

    # when
    events = api.get("/api/v1/events/")
    subscriptions = api.get("/api/v1/webhooks/")
    subscribe = api.post("/api/v1/webhooks/", {"url": "https://x.example/", "events": []})

    # then
    assert events.status_code == 200 and len(events.json()["results"]) == 1
    assert subscriptions.status_code == 403
    assert error_of(subscriptions)["code"] == "missing_scope"
    assert subscribe.status_code == 403


def test_keys_that_held_webhooks_write_are_given_events_read_by_the_migration(shop_a):
    # given: a key as made before events:read existed, and one without webhooks:write
    migration = importlib.import_module("shops.api.migrations.0008_apikey_scope_events_read")
    with tenant_context(shop_a):
        api_key_create(name="Old partner", scopes=["webhooks:write", "orders:read"])
        api_key_create(name="Catalog", scopes=["catalog:read"])

        # when: the migration's data step runs (again: it is idempotent)
        migration.events_read_to_webhook_keys(django_apps, None)
        migration.events_read_to_webhook_keys(django_apps, None)
        scopes = dict(ApiKey.objects.values_list("name", "scopes"))

    # then
    assert sorted(scopes["Old partner"]) == ["events:read", "orders:read", "webhooks:write"]
    assert scopes["Catalog"] == ["catalog:read"]


def test_events_past_their_retention_are_pruned_with_their_deliveries(shop_a, settings):
    # given
    settings.WEBHOOK_EVENT_RETENTION_DAYS = 30
    old, kept = _emit(shop_a, [("order.paid", {"n": 1}), ("order.paid", {"n": 2})])
    with tenant_context(shop_a):
        WebhookEvent.objects.filter(pk=old.pk).update(
            created=timezone.now() - timedelta(days=30, minutes=1)
        )
        # when
        pruned = events_prune()
        left = list(WebhookEvent.objects.values_list("pk", flat=True))
        deliveries = set(WebhookDelivery.objects.values_list("event_id", flat=True))

    # then
    assert pruned == 1
    assert left == [kept.pk]
    assert deliveries == {kept.pk}


def test_the_openapi_document_describes_signing_events_and_catch_up(shop_a):
    # when
    schema = Client(HTTP_HOST="alpha.localhost").get("/api/v1/schema/", {"format": "json"}).json()

    # then
    guide = schema["info"]["description"].split("## Webhooks", 1)[1]
    for needed in ["webhook-id", "webhook-timestamp", "webhook-signature", "2027-06-30"]:
        assert needed in guide
    for event_type in EventType.values:
        assert f"`{event_type}`" in guide
    listing = schema["paths"]["/api/v1/events/"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"type", "since", "cursor", "limit"}
    assert listing["tags"] == ["webhooks"]
