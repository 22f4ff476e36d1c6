"""Webhooks in the merchant's admin: subscriptions (secret shown once), deliveries with
their attempts, and "Send again"."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from shops.admin_pages import secret_shown_once
from shops.webhooks.models import (
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from shops.webhooks.services import (
    delivery_replay,
    event_body,
    subscription_create,
    subscription_secret_rotate,
    subscription_update,
)


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
    actions = ["rotate_secret"]

    change_form_template = "admin/webhooks/webhooksubscription/change_form.html"

    def get_urls(self) -> list:
        rotate = path(
            "<int:subscription_id>/rotate-secret/",
            self.admin_site.admin_view(self.rotate_secret_view),
            name="webhooks_webhooksubscription_rotate",
        )
        return [rotate, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {})}
        if object_id and str(object_id).isdigit():
            extra_context["rotate_url"] = reverse(
                "admin:webhooks_webhooksubscription_rotate", args=[int(object_id)]
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def rotate_secret_view(self, request: HttpRequest, subscription_id: int):
        """The change page's *Rotate the signing secret* button (a POST)."""
        subscription = get_object_or_404(WebhookSubscription, pk=subscription_id)
        if request.method != "POST" or not self.has_change_permission(request, subscription):
            return HttpResponseRedirect(
                reverse("admin:webhooks_webhooksubscription_change", args=[subscription.pk])
            )
        return self._rotate(request, subscription)

    @admin.action(description="Rotate the signing secret")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]):
        """A new secret for one subscription, shown once; the old one keeps signing for
        the grace period (WEBHOOK_SECRET_GRACE_HOURS)."""
        subscriptions = list(queryset[:2])
        if len(subscriptions) != 1:
            messages.error(request, "Rotate the secret of one subscription at a time.")
            return None
        return self._rotate(request, subscriptions[0])

    def _rotate(self, request: HttpRequest, subscription: WebhookSubscription):
        rotated = subscription_secret_rotate(subscription=subscription)
        expires = rotated.subscription.previous_secret_expires_at
        grace = (
            f"The old secret keeps signing (a second signature in webhook-signature) until "
            f"{expires:%Y-%m-%d %H:%M} UTC; switch your receiver to the new one before then."
            if expires
            else "The old secret no longer signs."
        )
        return self._secret_page(
            request,
            title=f"New signing secret for {rotated.subscription.url}",
            secret=rotated.secret,
            note=grace,
        )

    def _secret_page(self, request: HttpRequest, *, title: str, secret: str, note: str):
        return secret_shown_once(
            request,
            admin_site=self.admin_site,
            title=title,
            what="signing secret",
            secret=secret,
            note=note,
            back_url=reverse("admin:webhooks_webhooksubscription_changelist"),
        )

    @admin.display(description="Events")
    def event_list(self, subscription: WebhookSubscription) -> str:
        return ", ".join(subscription.events)

    def save_model(self, request, obj, form, change) -> None:
        """The form saved through the services already."""
        if not change:
            obj.created_secret = form.created.secret  # for response_add, this request only

    def response_add(self, request: HttpRequest, obj: WebhookSubscription, post_url_continue=None):
        return self._secret_page(
            request,
            title=f"Webhook to {obj.url} created",
            secret=obj.created_secret,
            note="Verify the webhook-signature header of every delivery with it "
            "(Standard Webhooks: any standardwebhooks library takes this secret as it is).",
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
    list_display = (
        "event_type",
        "subscription",
        "status",
        "attempt_count",
        "last_status_code",
        "next_attempt_at",
        "created",
    )
    list_filter = ("status", "event__type")
    list_select_related = ("event", "subscription")
    readonly_fields = (
        "event",
        "subscription",
        "status",
        "attempt_count",
        "last_status_code",
        "next_attempt_at",
        "created",
        "completed_at",
        "payload",
    )
    fields = readonly_fields
    inlines = [AttemptInline]
    actions = ["send_again"]

    @admin.display(description="Event", ordering="event__type")
    def event_type(self, delivery: WebhookDelivery) -> str:
        return delivery.event.type

    @admin.display(description="Payload")
    def payload(self, delivery: WebhookDelivery) -> str:
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
