"""Marketing consent, one row per shopper address in each shop's schema, and the count
of marketing emails the gate held back (what the merchant is shown)."""

from __future__ import annotations

from django.db import models


class MarketingConsent(models.Model):
    """Whether the shop may send marketing email to ``email``: asked (pending, a
    confirmation email sent), confirmed (the shopper opened its link) or withdrawn (an
    unsubscribe, the shopper or the merchant). The address is kept because the shop
    needs it to send; the wording the shopper was shown is kept as it was; no client
    address (IP) is ever stored."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending confirmation"
        CONFIRMED = "confirmed", "Confirmed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Source(models.TextChoices):
        CHECKOUT = "checkout", "Checkout"
        POLL = "poll", "Poll"
        REVIEW_FORM = "review_form", "Review form"
        BACK_OFFICE = "back_office", "Back office"
        UNSUBSCRIBE = "unsubscribe", "Unsubscribe link"

    email = models.EmailField(max_length=254, unique=True, help_text="In lower case.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    source = models.CharField(max_length=12, choices=Source.choices)
    wording = models.TextField(blank=True, help_text="What the shopper was shown when asked.")
    asked_at = models.DateTimeField(null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_via = models.CharField(max_length=40, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated", "-id"]
        indexes = [models.Index(fields=["status", "-updated"], name="consent_status_updated")]
        verbose_name = "marketing consent"

    def __str__(self) -> str:
        return f"{self.email} ({self.get_status_display().lower()})"


class MarketingHeld(models.Model):
    """How many marketing emails of ``kind`` the gate held back on ``day`` and why: one
    row per kind, reason and day, counted with an ``F()`` increment."""

    class Kind(models.TextChoices):
        REVIEW_REQUEST = "review_request", "review requests"
        POLL_LAUNCH = "poll_launch", "poll launch emails"
        CHECKOUT_REMINDER = "checkout_reminder", "checkout reminders"

    class Reason(models.TextChoices):
        NO_CONSENT = "no_consent", "no consent"
        WITHDRAWN = "withdrawn", "unsubscribed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    reason = models.CharField(max_length=12, choices=Reason.choices)
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "reason", "day"], name="consent_held_once")
        ]
        ordering = ["-day", "kind"]

    def __str__(self) -> str:
        return f"{self.count} {self.get_kind_display()} not sent: {self.get_reason_display()}"


class ErasedAddress(models.Model):
    """An address whose consent record was erased on the shopper's request, kept only as
    a keyed hash so that no marketing email reaches it again (a suppression list holds
    no address)."""

    digest = models.CharField(max_length=64, unique=True)
    erased_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"erased address {self.digest[:8]}…"
