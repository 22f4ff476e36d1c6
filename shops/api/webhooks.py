"""Webhook subscriptions and the shop's past events through the partner API (scope
webhooks:write for the subscriptions, events:read for the past events)."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from shops.api.base import ApiViewSet
from shops.api.filters import QueryFiltersMixin
from shops.api.models import Scope
from shops.api.pagination import ApiCursorPagination
from shops.api.schema import SHOPPER_TAG
from shops.webhooks.models import (
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from shops.webhooks.services import (
    subscription_create,
    subscription_delete,
    subscription_secret_rotate,
    subscription_update,
)

# In the OpenAPI document's description (/api/v1/docs/, at the top), where a partner
# looks; docs/api.md says the same at more length.
WEBHOOKS_GUIDE = """
Subscribe a URL to events (`POST /webhooks/`); the signing secret `whsec_…` is in that
answer only. A new subscription receives what happens **after** it was made, never the
history; `GET /events/` (scope `events:read`) lists past events (kept 30 days) to catch up.

**Delivery**: one `POST` per event and subscription, body
`{"id": "<uuid>", "type": "<event>", "created": "<ISO 8601 Z>", "data": {…}}`. Any 2xx is
success; anything else is retried after 1, 2, 4 … minutes (at most 12 h apart) for 3 days.
A delivery can repeat: handle each event `id` once.

**Signature** ([Standard Webhooks](https://www.standardwebhooks.com/)): headers
`webhook-id` (the event id, the same on every retry), `webhook-timestamp` (Unix seconds)
and `webhook-signature`: `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<raw
body>">`, keyed with the base64-decoded secret after `whsec_`; several space-separated
while a rotated secret's grace period lasts (any one valid is enough). Verify before
trusting the body, and refuse timestamps more than 5 minutes off:

```python
from standardwebhooks.webhooks import Webhook
event = Webhook(secret).verify(raw_body, request_headers)  # raises if not genuine
```

Secrets made before 2026-12-07 are URL-safe base64 (`-`, `_`): rotate the secret, or
pass the library the key bytes `base64.urlsafe_b64decode(secret[6:] + "=")`.

**Deprecated**: `Etalage-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>"
keyed with the whole secret string>` is still sent until **2027-06-30**, then dropped.

**Events and their `data`** (amounts are strings, times ISO 8601):

- `order.created`, `order.paid`, `order.fulfilled`, `order.cancelled`, `order.refunded`:
  `{"order": {"id", "number", "status", "email", "currency", "total", "refunded_amount",
  "tracking_number", "utm_source", "created", "paid_at", "fulfilled_at",
  "cancelled_at"}}`; no lines or address: read `GET /orders/{id}/`. `order.created` is
  sent when the order is placed (paid), just before `order.paid`; a checkout never paid
  sends none (its end unpaid is `order.cancelled`).
- `product.updated`: `{"product_id", "changes": ["title", "price", …], "deleted",
  "currency", "product"}`, `product` null when deleted, else `{"id", "title", "slug",
  "status", "updated", "variants": [{"id", "sku", "price", "stock", "held",
  "available"}]}`.
- `stock.changed`: `{"product_id", "variants": [{"id", "sku", "stock", "held",
  "available"}]}`.
- `review.approved`: `{"review": {"id", "product_id", "rating", "title", "body",
  "display_name", "is_verified", "photo_count", "status", "created"}}`.
- `channel.item_rejected`: `{"channel", "product_id", "variant_id", "item_id",
  "message"}`.
"""


def add_webhooks_guide(result: dict, generator, request, public: bool) -> dict:
    """Postprocessing hook: ``WEBHOOKS_GUIDE`` under a "Webhooks" heading in the API's
    description (the page's full-width text above the operations), and the tags listed
    Shopper first, then by name: ``/events/`` is under webhooks, which would otherwise
    show where its path sorts."""
    info = result.setdefault("info", {})
    info["description"] = f"{info.get('description', '')}\n\n## Webhooks\n{WEBHOOKS_GUIDE}"
    names = {
        tag
        for path_item in result.get("paths", {}).values()
        for operation in path_item.values()
        for tag in operation.get("tags", [])
    }
    result["tags"] = [
        {"name": name} for name in sorted(names, key=lambda name: (name != SHOPPER_TAG, name))
    ]
    return result


class SubscriptionSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices))

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "events", "description", "is_active", "created"]
        read_only_fields = fields


class SubscriptionCreatedSerializer(SubscriptionSerializer):
    secret = serializers.CharField(
        help_text="Signs every delivery (webhook-signature, Standard Webhooks). Shown in "
        "this response only."
    )

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class SecretRotatedSerializer(SubscriptionCreatedSerializer):
    previous_secret_expires_at = serializers.DateTimeField(
        allow_null=True,
        help_text="Until then deliveries carry a second v1 signed with the old secret.",
    )

    class Meta(SubscriptionCreatedSerializer.Meta):
        fields = [*SubscriptionCreatedSerializer.Meta.fields, "previous_secret_expires_at"]
        read_only_fields = fields


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "created", "status_code", "error", "duration_ms"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.UUIDField(source="event.public_id", read_only=True)
    event_type = serializers.CharField(source="event.type", read_only=True)
    attempts = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "status",
            "attempt_count",
            "last_status_code",
            "next_attempt_at",
            "created",
            "completed_at",
            "attempts",
        ]
        read_only_fields = fields


class SubscriptionInputSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2000)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices), min_length=1, max_length=20
    )
    description = serializers.CharField(max_length=255, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


@extend_schema(tags=["webhooks"])
class WebhookSubscriptionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    ApiViewSet,
):
    """Subscriptions of URLs to events. Deliveries are POSTs of
    ``{"id", "type", "created", "data"}`` signed as Standard Webhooks sign (the tag's
    description says how)."""

    model = WebhookSubscription
    read_scope = write_scope = Scope.WEBHOOKS_WRITE
    serializer_class = SubscriptionSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scoped_queryset(self) -> QuerySet:
        return WebhookSubscription.objects.all()

    @extend_schema(
        request=SubscriptionInputSerializer, responses={201: SubscriptionCreatedSerializer}
    )
    def create(self, request: Request) -> Response:
        data = self.validated_input(SubscriptionInputSerializer).validated_data
        created = subscription_create(
            url=data["url"], events=data["events"], description=data.get("description", "")
        )
        if data.get("is_active") is False:
            subscription_update(subscription=created.subscription, is_active=False)
        body = SubscriptionSerializer(created.subscription).data | {"secret": created.secret}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=SubscriptionInputSerializer, responses=SubscriptionSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        subscription = self.get_object()
        data = self.validated_input(SubscriptionInputSerializer, partial=True).validated_data
        subscription_update(subscription=subscription, **data)
        return self.object_response(subscription.pk)

    def perform_destroy(self, instance: WebhookSubscription) -> None:
        subscription_delete(subscription=instance)

    @extend_schema(request=None, responses={200: SecretRotatedSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str) -> Response:
        """A new signing secret, shown in this response only. For
        ``WEBHOOK_SECRET_GRACE_HOURS`` (24 h by default) the old secret keeps signing:
        ``webhook-signature`` then carries two ``v1,`` values, the new one first."""
        rotated = subscription_secret_rotate(subscription=self.get_object())
        subscription = rotated.subscription
        body = SubscriptionSerializer(subscription).data | {
            "secret": rotated.secret,
            "previous_secret_expires_at": serializers.DateTimeField().to_representation(
                subscription.previous_secret_expires_at
            ),
        }
        return Response(body)

    @extend_schema(responses=DeliverySerializer(many=True))
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: str) -> Response:
        """The subscription's deliveries, newest first, each with its attempts."""
        subscription = self.get_object()
        deliveries = (
            WebhookDelivery.objects.filter(subscription=subscription)
            .select_related("event")
            .prefetch_related("attempts")
        )
        paginator = ApiCursorPagination()
        paginator.ordering = "-id"
        page = paginator.paginate_queryset(deliveries, request, view=self)
        return paginator.get_paginated_response(DeliverySerializer(page, many=True).data)


class EventSerializer(serializers.ModelSerializer):
    """An event exactly as a delivery's body carries it."""

    id = serializers.UUIDField(
        source="public_id", read_only=True, help_text="The delivery's webhook-id header too."
    )
    data = serializers.JSONField(read_only=True, help_text="The event's payload: see its type.")

    class Meta:
        model = WebhookEvent
        fields = ["id", "type", "created", "data"]
        read_only_fields = fields


class EventFilterSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=EventType.choices, required=False)
    since = serializers.DateTimeField(
        required=False, help_text="ISO 8601: events created at or after this time."
    )


@extend_schema(tags=["webhooks"])
@extend_schema_view(list=extend_schema(parameters=[EventFilterSerializer]))
class EventViewSet(mixins.ListModelMixin, QueryFiltersMixin, ApiViewSet):
    """The shop's past events, oldest first, to catch up after missed deliveries: each as
    a delivery's body carries it. An event is kept when a subscription received it, for
    ``WEBHOOK_EVENT_RETENTION_DAYS`` (30 days by default). Follow ``next`` until it is
    null; the last event's ``created`` is the ``since`` of the next catch-up (an event
    seen twice has the same ``id``)."""

    model = WebhookEvent
    # reading what happened needs no power over subscriptions (GET only: no write scope
    # is ever asked; keys that had webhooks:write got events:read in migration 0007)
    read_scope = write_scope = Scope.EVENTS_READ
    serializer_class = EventSerializer
    http_method_names = ["get", "head", "options"]

    filter_serializer = EventFilterSerializer
    filter_lookups = {"type": "type", "since": "created__gte"}

    def scoped_queryset(self) -> QuerySet:
        return self.filtered(WebhookEvent.objects.all())
