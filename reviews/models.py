"""Shoppers' reviews (with photos, votes and the merchant's decisions) and polls.

Everything here lives in the shop's schema. Writes go through ``reviews.services``;
reads through ``reviews.selectors``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


class ReviewSettings(models.Model):
    """The merchant's review settings (one row, ``key=1``); they also write the
    disclosure page shoppers read."""

    class AutoApprove(models.TextChoices):
        NEVER = "never", "Never: I approve every review"
        VERIFIED_UNFLAGGED = "verified_unflagged", "Verified buyers' reviews without flags"
        UNFLAGGED = "unflagged", "Every review without flags"

    key = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    auto_approve = models.CharField(
        max_length=20, choices=AutoApprove.choices, default=AutoApprove.NEVER
    )
    requests_enabled = models.BooleanField(
        "Ask buyers for a review", default=True, help_text="Email a link after fulfilment."
    )
    disclosure_note = models.TextField(
        blank=True, help_text="Anything you want to add to the page on how reviews are collected."
    )

    class Meta:
        verbose_name = verbose_name_plural = "review settings"
        constraints = [models.CheckConstraint(condition=Q(key=1), name="reviews_settings_one_row")]

    def __str__(self) -> str:
        return "Review settings"


class Review(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        SPAM = "spam", "Spam"

    class Flag(models.TextChoices):
        LINK = "link", "Contains a link"
        DUPLICATE = "duplicate", "Same text as another review"
        BURST = "burst", "Many reviews from one shopper or network"

    product = models.ForeignKey("catalog.Product", related_name="reviews", on_delete=models.CASCADE)
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    title = models.CharField(max_length=120, blank=True)
    body = models.TextField(max_length=5000)
    display_name = models.CharField(max_length=60)
    email = models.EmailField(blank=True, help_text="Never shown to shoppers.")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    flags = models.JSONField(default=list, blank=True)
    is_verified = models.BooleanField(
        "verified buyer",
        default=False,
        editable=False,
        help_text="Set only when written through a review-request link.",
    )
    order_line = models.OneToOneField(
        "orders.OrderLine",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="review",
    )
    reply = models.TextField("merchant reply", blank=True, max_length=5000)
    replied_at = models.DateTimeField(null=True, blank=True)
    author_token = models.CharField(max_length=64, blank=True, editable=False)
    ip_hash = models.CharField(max_length=64, blank=True, editable=False)
    network_hash = models.CharField(max_length=64, blank=True, editable=False)
    body_fingerprint = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    photo_count = models.PositiveSmallIntegerField(default=0, editable=False)
    helpful_up = models.PositiveIntegerField(default=0, editable=False)
    helpful_down = models.PositiveIntegerField(default=0, editable=False)
    helpful_score = models.FloatField(
        default=0.0, editable=False, help_text="Wilson lower bound of the up-vote share."
    )
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["product", "status", "-created"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="reviews_rating_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ {self.title or self.body[:40]}"


class ReviewPhoto(models.Model):
    """A shopper's picture, cleaned by the media pipeline (shops.media)."""

    review = models.ForeignKey(Review, related_name="photos", on_delete=models.CASCADE)
    image = models.ImageField(upload_to="reviews/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    renditions = models.JSONField(default=dict, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["review_id", "position", "id"]

    def __str__(self) -> str:
        return f"Photo {self.position + 1} of review {self.review_id}"


class ReviewDecision(models.Model):
    """Who moved a review to which status, when (the moderation log)."""

    review = models.ForeignKey(Review, related_name="decisions", on_delete=models.CASCADE)
    status = models.CharField(max_length=10, choices=Review.Status.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    is_automatic = models.BooleanField(default=False)
    note = models.CharField(max_length=255, blank=True)
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        who = "automatic" if self.is_automatic else str(self.decided_by or "someone")
        return f"{self.get_status_display()} by {who}"


class ReviewVote(models.Model):
    """One shopper's helpful / not helpful vote, one per shopper per review (a new vote
    replaces the old one). A shopper is their signed token; one without a token (no
    JavaScript) is their address. ``ip_hash`` is kept to spot abuse, not to refuse
    votes: shoppers behind one address (a household, an office, a carrier's NAT) each
    vote."""

    review = models.ForeignKey(Review, related_name="votes", on_delete=models.CASCADE)
    voter = models.CharField(max_length=64)
    ip_hash = models.CharField(max_length=64)
    is_helpful = models.BooleanField()
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "voter"], name="reviews_vote_one_per_voter"),
        ]
        indexes = [models.Index(fields=["review", "ip_hash"], name="reviews_vote_by_address")]

    def __str__(self) -> str:
        return f"{'up' if self.is_helpful else 'down'} on review {self.review_id}"


class ReviewRequest(models.Model):
    """The email asking a buyer to review what one order line bought (one per line)."""

    order_line = models.OneToOneField(
        "orders.OrderLine", related_name="review_request", on_delete=models.CASCADE
    )
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["due_at"], condition=Q(sent_at__isnull=True), name="reviews_request_due"
            )
        ]

    def __str__(self) -> str:
        return f"Review request for line {self.order_line_id}"


class Poll(models.Model):
    question = models.CharField(max_length=200)
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField(null=True, blank=True)
    confirm_by_email = models.BooleanField(
        "Ask voters to confirm by email",
        default=False,
        help_text=(
            "Voters give an email address and their vote counts once they open the link "
            "emailed to them; one vote per address."
        ),
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True) | Q(closes_at__gt=models.F("opens_at")),
                name="reviews_poll_closes_after_opening",
            )
        ]

    def __str__(self) -> str:
        return self.question


class PollOption(models.Model):
    poll = models.ForeignKey(Poll, related_name="options", on_delete=models.CASCADE)
    text = models.CharField(max_length=120)
    image = models.ImageField(upload_to="polls/", blank=True)
    product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    position = models.PositiveSmallIntegerField(default=0)
    vote_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["poll_id", "position", "id"]

    def __str__(self) -> str:
        return self.text


class PollVote(models.Model):
    """One vote per shopper per poll (the shopper as for ``ReviewVote``); ``ip_hash`` is
    kept to spot abuse, not to refuse a second shopper at the same address.

    In a poll that asks voters to confirm by email the vote waits (``confirmed_at``
    empty, not counted) until its link is opened; ``email_hash`` is a keyed hash of the
    lower-cased address (the address itself is not kept), one confirmed vote each."""

    poll = models.ForeignKey(Poll, related_name="votes", on_delete=models.CASCADE)
    option = models.ForeignKey(PollOption, related_name="votes", on_delete=models.CASCADE)
    voter = models.CharField(max_length=64)
    ip_hash = models.CharField(max_length=64)
    email_hash = models.CharField(max_length=64, blank=True, editable=False)
    confirm_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["poll", "voter"], name="reviews_poll_one_vote"),
            models.UniqueConstraint(
                fields=["poll", "email_hash"],
                condition=Q(confirmed_at__isnull=False) & ~Q(email_hash=""),
                name="reviews_poll_one_confirmed_vote_per_email",
            ),
        ]
        indexes = [
            models.Index(fields=["poll", "ip_hash"], name="reviews_poll_vote_by_address"),
            # the poll's votes of the last minutes (the rate's burst check)
            models.Index(fields=["poll", "created"], name="reviews_poll_vote_by_time"),
        ]

    def __str__(self) -> str:
        return f"Vote for {self.option_id}"


class PollAnomaly(models.Model):
    """A burst of votes in a poll, for the merchant to review; the votes still count by
    the rules. Either from one network address (hashed: the address itself is never
    kept; one row per address), or the whole poll's votes far above its usual rate (one
    row per poll, ``ip_hash`` empty, with that usual rate)."""

    class Kind(models.TextChoices):
        ADDRESS = "address", "From one address"
        RATE = "rate", "Far above the poll's usual rate"

    poll = models.ForeignKey(Poll, related_name="anomalies", on_delete=models.CASCADE)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ADDRESS)
    ip_hash = models.CharField("address (hashed)", max_length=64, blank=True)
    vote_count = models.PositiveIntegerField("votes seen")
    window_minutes = models.PositiveIntegerField("within minutes")
    # the rate's: the poll's average votes per ``window_minutes`` since it opened
    usual_votes = models.DecimalField(
        "usual votes per window", max_digits=12, decimal_places=2, null=True, blank=True
    )
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "poll anomalies"
        constraints = [
            models.UniqueConstraint(fields=["poll", "ip_hash"], name="reviews_poll_anomaly_once")
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.RATE:
            return (
                f"{self.vote_count} votes within {self.window_minutes} min, against "
                f"{self.usual_votes} usually"
            )
        return (
            f"{self.vote_count} votes within {self.window_minutes} min "
            f"from address {self.ip_hash[:12]}…"
        )


class PollNotification(models.Model):
    """ "Tell me when it launches": an email address waiting for one option."""

    option = models.ForeignKey(PollOption, related_name="notifications", on_delete=models.CASCADE)
    email = models.EmailField()
    created = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["option", "email"], name="reviews_poll_notify_once")
        ]

    def __str__(self) -> str:
        return self.email
