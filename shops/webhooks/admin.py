"""Webhooks in the merchant's admin: subscriptions (secret shown once), deliveries with
their attempts, and "Send again"."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from shops.admin_pages import secret_shown_once
from shops.webhooks.models import (
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from shops.webhooks.services import delivery_replay, subscription_create, subscription_update


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=2000, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ("url", "events", "description", "is_active")

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            if self.instance.pk is None:
                self.created = subscription_create(
                    url=cleaned["url"],
                    events=cleaned["events"],
                    description=cleaned.get("description", ""),
                )
                if not cleaned.get("is_active", True):
                    subscription_update(subscription=self.created.subscription, is_active=False)
            else:
                subscription_update(
                    subscription=self.instance,
                    url=cleaned["url"],
                    events=cleaned["events"],
                    description=cleaned.get("description", ""),
                    is_active=cleaned.get("is_active", True),
                )
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                self.add_error(field, errors)
        return cleaned

    def save(self, commit: bool = True) -> WebhookSubscription:
        self.save_m2m = lambda: None  # saved by the services in clean()
        return self.created.subscription if self.instance.pk is None else self.instance


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("url", "event_list", "is_active", "created")

    @admin.display(description="Events")
    def event_list(self, subscription: WebhookSubscription) -> str:
        return ", ".join(subscription.events)

    def save_model(self, request, obj, form, change) -> None:
        """The form saved through the services already."""
        if not change:
            obj.created_secret = form.created.secret  # for response_add, this request only

    def response_add(self, request: HttpRequest, obj: WebhookSubscription, post_url_continue=None):
        return secret_shown_once(
            request,
            admin_site=self.admin_site,
            title=f"Webhook to {obj.url} created",
            what="signing secret",
            secret=obj.created_secret,
            note="Verify the Etalage-Signature header of every delivery with it.",
            back_url=reverse("admin:webhooks_webhooksubscription_changelist"),
        )


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ("number", "created", "status_code", "error", "duration_ms", "response_excerpt")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("event_type", "subscription", "status", "attempt_count",
                    "last_status_code", "next_attempt_at", "created")  # fmt: skip
    list_filter = ("status", "event__type")
    list_select_related = ("event", "subscription")
    readonly_fields = ("event", "subscription", "status", "attempt_count", "last_status_code",
                       "next_attempt_at", "created", "completed_at", "payload")  # fmt: skip
    fields = readonly_fields
    inlines = [AttemptInline]
    actions = ["send_again"]

    @admin.display(description="Event", ordering="event__type")
    def event_type(self, delivery: WebhookDelivery) -> str:
        return delivery.event.type

    @admin.display(description="Payload")
    def payload(self, delivery: WebhookDelivery) -> str:
        from django.utils.html import format_html

        from shops.webhooks.services import event_body

        return format_html("<pre>{}</pre>", event_body(delivery.event).decode())

    @admin.action(description="Send again")
    def send_again(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        deliveries = list(queryset.select_related("event", "subscription"))
        for delivery in deliveries:
            delivery_replay(delivery=delivery)
        messages.success(request, f"Queued {len(deliveries)} delivery(ies) again.")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
