"""Polls: one vote per shopper (their token; their address only when they have no
token), counted with a conditional insert and an ``F()`` increment; closed or unopened
polls refuse votes. Shoppers sharing an address each vote: abuse is held by the rate
limits, and a burst from one address, or of the whole poll far above its usual rate,
flags the poll for the merchant (``PollAnomaly``) without refusing the votes.

A poll that asks voters to confirm by email records the vote as pending with a keyed
hash of the address (the address itself goes only into the queued email task) and
counts it when the signed, expiring link emailed by the worker is opened: one confirmed
vote per address and per shopper. The link is salted with the shop's schema, so it is
worthless in another shop."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product
from reviews.models import Poll, PollAnomaly, PollNotification, PollOption, PollVote
from reviews.services.photos import picture_clean_upload
from reviews.shoppers import Shopper, email_hash
from shops.consent.models import MarketingConsent, MarketingHeld
from shops.consent.services import (
    CHECKBOX_WORDING,
    consent_request,
    marketing_message,
    marketing_recipients,
)
from shops.media import delete_files_on_commit
from shops.page_cache import shop_page_changed
from shops.queueing import task_queue_on_commit
from shops.selectors import current_shop, shop_url


class PollError(Exception):
    """A refused poll vote; ``status`` is the HTTP answer (400, 404, 409), ``code`` a
    stable name for it and ``field`` the input at fault, if one."""

    def __init__(
        self, message: str, *, status: int, code: str = "poll_refused", field: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.field = field


def poll_is_open(poll: Poll, now=None) -> bool:
    now = now or timezone.now()
    return poll.opens_at <= now and (poll.closes_at is None or now < poll.closes_at)


def _email_checked(email: str, *, field: str, message: str) -> str:
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise PollError(message, status=400, code="invalid_email", field=field) from None
    return email


@transaction.atomic
def poll_vote(
    *,
    poll_id: int,
    option_id: int,
    shopper: Shopper,
    notify_email: str = "",
    email: str = "",
    marketing_consent: bool = False,
) -> PollVote:
    """Record the shopper's vote for ``option_id``; with ``notify_email`` also remember to
    tell them when that option launches. A second vote by the same shopper is a 409.
    ``marketing_consent`` (the shopper ticked "Email me news, polls and review
    requests") asks the address they gave for marketing consent (double opt-in,
    ``consent_request``); a launch email needs it where the law asks for consent.

    In a poll that asks voters to confirm by email, ``email`` is needed: the vote waits
    (not counted, ``confirmed_at`` empty) and its link is emailed by the worker; voting
    again before confirming replaces the waiting vote and sends a new link."""
    option = PollOption.objects.select_related("poll").filter(pk=option_id, poll_id=poll_id).first()
    if option is None:
        raise PollError(
            "There is no such option in this poll.",
            status=404,
            code="unknown_option",
            field="option",
        )
    poll = option.poll
    now = timezone.now()
    if poll.opens_at > now:
        raise PollError("This poll is not open yet.", status=409, code="poll_not_open")
    if poll.closes_at is not None and now >= poll.closes_at:
        raise PollError(
            "This poll is closed; the results are final.", status=409, code="poll_closed"
        )
    notify_email = _email_checked(
        notify_email, field="notify_email", message="Enter a valid email address to be told."
    )
    if poll.confirm_by_email:
        email = _email_checked(
            email, field="email", message="Enter a valid email address to confirm your vote."
        )
        if not email:
            raise PollError(
                "Enter your email address: this poll counts a vote once it is confirmed by email.",
                status=400,
                code="email_required",
                field="email",
            )
    vote = _vote_record(poll=poll, option=option, shopper=shopper, email=email, now=now)
    if notify_email:
        PollNotification.objects.get_or_create(option=option, email=notify_email.lower())
    if marketing_consent and (notify_email or email):
        consent_request(
            email=notify_email or email,
            source=MarketingConsent.Source.POLL,
            wording=CHECKBOX_WORDING,
        )
    _burst_check(poll=poll, shopper=shopper, now=now)
    _rate_check(poll=poll, now=now)
    return vote


def _vote_record(
    *, poll: Poll, option: PollOption, shopper: Shopper, email: str, now: datetime
) -> PollVote:
    if poll.confirm_by_email:
        waiting = (
            PollVote.objects.select_for_update()
            .filter(poll=poll, voter=shopper.voter, confirmed_at__isnull=True)
            .first()
        )
        if waiting is not None:  # not counted yet: the new choice and address replace it
            waiting.option, waiting.email_hash, waiting.ip_hash = (
                option,
                email_hash(email),
                (shopper.ip_hash),
            )
            waiting.save(update_fields=["option", "email_hash", "ip_hash"])
            _confirm_email_queue(vote=waiting, email=email)
            return waiting
    try:
        with transaction.atomic():
            vote = PollVote.objects.create(
                poll=poll,
                option=option,
                voter=shopper.voter,
                ip_hash=shopper.ip_hash,
                email_hash=email_hash(email) if poll.confirm_by_email else "",
                confirmed_at=None if poll.confirm_by_email else now,
            )
    except IntegrityError:
        raise PollError(
            "You have already voted in this poll.", status=409, code="already_voted"
        ) from None
    if poll.confirm_by_email:
        _confirm_email_queue(vote=vote, email=email)
    else:
        PollOption.objects.filter(pk=option.pk).update(vote_count=F("vote_count") + 1)
    return vote


def _burst_check(*, poll: Poll, shopper: Shopper, now: datetime) -> None:
    """Flag ``poll`` when the shopper's address cast more than REVIEWS_POLL_BURST_VOTES
    votes in it within REVIEWS_POLL_BURST_MINUTES (one row per address, kept up to date)."""
    minutes = settings.REVIEWS_POLL_BURST_MINUTES
    seen = PollVote.objects.filter(
        poll=poll, ip_hash=shopper.ip_hash, created__gte=now - timedelta(minutes=minutes)
    ).count()
    if seen <= settings.REVIEWS_POLL_BURST_VOTES:
        return
    PollAnomaly.objects.bulk_create(
        [PollAnomaly(poll=poll, ip_hash=shopper.ip_hash, vote_count=seen, window_minutes=minutes)],
        update_conflicts=True,
        unique_fields=["poll", "ip_hash"],
        update_fields=["vote_count", "window_minutes", "last_seen"],
    )


def _rate_check(*, poll: Poll, now: datetime) -> None:
    """Flag ``poll`` when its votes of the last REVIEWS_POLL_BURST_MINUTES are at least
    REVIEWS_POLL_RATE_MIN_VOTES and more than REVIEWS_POLL_RATE_FACTOR times its usual
    votes per that many minutes (its votes, waiting ones included, over the windows since
    it opened; at least one window, so a poll just opened is never above its own
    average). One indexed count per vote; the whole poll is counted only past the
    minimum. One row per poll, with the latest figures."""
    minutes = settings.REVIEWS_POLL_BURST_MINUTES
    votes = PollVote.objects.filter(poll=poll)
    recent = votes.filter(created__gte=now - timedelta(minutes=minutes)).count()
    if recent < settings.REVIEWS_POLL_RATE_MIN_VOTES:
        return
    windows = max(Decimal(1), Decimal((now - poll.opens_at) / timedelta(minutes=minutes)))
    usual = (Decimal(votes.count()) / windows).quantize(Decimal("0.01"))
    if recent <= settings.REVIEWS_POLL_RATE_FACTOR * usual:
        return
    PollAnomaly.objects.bulk_create(
        [
            PollAnomaly(
                poll=poll,
                kind=PollAnomaly.Kind.RATE,
                ip_hash="",
                vote_count=recent,
                window_minutes=minutes,
                usual_votes=usual,
            )
        ],
        update_conflicts=True,
        unique_fields=["poll", "ip_hash"],
        update_fields=["vote_count", "window_minutes", "usual_votes", "last_seen"],
    )


class PollConfirmError(Exception):
    """A vote confirmation link that is tampered with, from another shop, expired, or
    whose vote cannot count (the poll closed, the address confirmed a vote already)."""


def _confirm_salt() -> str:
    return f"reviews.poll-confirm:{connection.schema_name}"


def poll_confirm_token(*, vote: PollVote) -> str:
    return signing.dumps({"vote": vote.pk, "email": vote.email_hash[:16]}, salt=_confirm_salt())


def _confirm_email_queue(*, vote: PollVote, email: str) -> None:
    """Queue the confirmation email once this commits (the address travels in the task,
    it is not stored)."""
    task_queue_on_commit("reviews.poll_vote_confirm_send", vote.pk, email)


def poll_vote_confirm_send(*, vote_id: int, email: str) -> bool:
    """Email the link that confirms vote ``vote_id`` (worker); False when the vote is gone,
    counted already, or no longer for this address (a newer vote replaced it)."""
    vote = PollVote.objects.select_related("poll", "option").filter(pk=vote_id).first()
    if vote is None or vote.confirmed_at is not None or vote.email_hash != email_hash(email):
        return False
    shop = current_shop()
    url = shop_url(shop) + reverse("poll-confirm", kwargs={"token": poll_confirm_token(vote=vote)})
    hours = settings.REVIEWS_POLL_CONFIRM_LINK_HOURS
    send_mail(
        subject=f"Confirm your vote in {shop.name}'s poll",
        message=(
            f"You voted for “{vote.option.text}” in {shop.name}'s poll "
            f"“{vote.poll.question}”.\n\nOpen this link to confirm it; your vote counts once "
            f"you do (the link works for {hours} hours):\n{url}\n\n"
            "If you did not vote, ignore this email and nothing is counted.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[email],
    )
    PollVote.objects.filter(pk=vote.pk).update(confirm_sent_at=timezone.now())
    return True


@dataclass(frozen=True)
class PollConfirmation:
    """A confirmed vote; ``already`` when the link had been opened before."""

    vote: PollVote
    already: bool


@transaction.atomic
def poll_vote_confirm(token: str) -> PollConfirmation:
    """Count the vote a confirmation link was made for (once: opening it again changes
    nothing); ``PollConfirmError`` says why not."""
    max_age = settings.REVIEWS_POLL_CONFIRM_LINK_HOURS * 3600
    try:
        value = signing.loads(token, salt=_confirm_salt(), max_age=max_age)
    except signing.SignatureExpired:
        raise PollConfirmError(
            "This confirmation link has expired. Vote again on the poll to get a new one."
        ) from None
    except signing.BadSignature:
        raise PollConfirmError("This confirmation link is not valid in this shop.") from None
    vote = (
        PollVote.objects.select_for_update(of=("self",))
        .select_related("poll", "option")
        .filter(pk=value.get("vote") if isinstance(value, dict) else None)
        .first()
    )
    if vote is None or vote.email_hash[:16] != value.get("email"):
        raise PollConfirmError(
            "This vote cannot be found any more; it may have been replaced by a newer vote."
        )
    if vote.confirmed_at is not None:
        return PollConfirmation(vote=vote, already=True)
    if not poll_is_open(vote.poll):
        raise PollConfirmError("This poll closed before your vote was confirmed.")
    vote.confirmed_at = timezone.now()
    try:
        with transaction.atomic():
            vote.save(update_fields=["confirmed_at"])
    except IntegrityError:
        raise PollConfirmError(
            "This email address has confirmed a vote in this poll already; it counts once."
        ) from None
    PollOption.objects.filter(pk=vote.option_id).update(vote_count=F("vote_count") + 1)
    return PollConfirmation(vote=vote, already=False)


@dataclass(frozen=True)
class PollOptionInput:
    """An option as a caller sends it; ``image`` is an uploaded file (or bytes) or None."""

    text: str
    product_id: int | None = None
    image: object | None = None


MIN_OPTIONS, MAX_OPTIONS = 2, 10  # as the admin's option formset allows


@transaction.atomic
def poll_create(
    *,
    question: str,
    options: Sequence[PollOptionInput],
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
) -> Poll:
    """A poll with its options in order (2 to 10, each optionally naming a product of
    this shop). A ValidationError keyed by field says what is wrong; nothing is written
    then. Opens now unless ``opens_at`` says otherwise."""
    errors: dict[str, list[ValidationError]] = {}
    question = (question or "").strip()
    if not question:
        errors["question"] = [ValidationError("Ask a question.", code="required")]
    opens_at = opens_at or timezone.now()
    if closes_at is not None and closes_at <= opens_at:
        errors["closes_at"] = [
            ValidationError("A poll closes after it opens.", code="closes_before_opening")
        ]
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        errors["options"] = [
            ValidationError(
                f"A poll has {MIN_OPTIONS} to {MAX_OPTIONS} options ({len(options)} given).",
                code="option_count",
            )
        ]
    wanted = {option.product_id for option in options if option.product_id is not None}
    known = set(Product.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    for index, option in enumerate(options):
        if not (option.text or "").strip():
            errors[f"options[{index}].text"] = [
                ValidationError("Give the option a text.", code="required")
            ]
        if option.product_id is not None and option.product_id not in known:
            errors[f"options[{index}].product_id"] = [
                ValidationError(
                    f"Product {option.product_id} is not in this shop.", code="does_not_exist"
                )
            ]
    images = {}
    for index, option in enumerate(options):
        if option.image is not None:
            try:
                images[index] = picture_clean_upload(option.image)
            except ValidationError as error:
                errors[f"options[{index}].image"] = [error]
    if errors:
        raise ValidationError(errors)
    poll = Poll.objects.create(question=question, opens_at=opens_at, closes_at=closes_at)
    rows = [
        PollOption(
            poll=poll,
            text=option.text.strip(),
            product_id=option.product_id,
            position=position,
            image=images.get(position),
        )
        for position, option in enumerate(options)
    ]
    try:
        PollOption.objects.bulk_create(rows)  # saves the pictures' files first
    except Exception:
        _delete_files({row.image.name for row in rows if row.image and row.image._committed})
        raise
    shop_page_changed()
    return poll


def _delete_files(names: set[str]) -> None:
    for name in names:
        default_storage.delete(name)


@transaction.atomic
def poll_option_image_set(*, option: PollOption, file) -> PollOption:
    """Give an option a picture (replacing its old one, whose file is deleted once this
    commits), checked and cleaned by the media pipeline; a ValidationError says what is
    wrong with it, and nothing changes then."""
    cleaned = picture_clean_upload(file)
    locked = PollOption.objects.select_for_update().get(pk=option.pk)
    old_name = locked.image.name if locked.image else ""
    locked.image.save(cleaned.name, cleaned, save=False)
    try:
        # the name alone: a full save would write back a stale vote_count
        PollOption.objects.filter(pk=locked.pk).update(image=locked.image.name)
    except Exception:
        _delete_files({locked.image.name})
        raise
    if old_name:
        delete_files_on_commit({old_name})
    shop_page_changed()
    option.image = locked.image
    return locked


@transaction.atomic
def poll_close(*, poll: Poll) -> Poll:
    """Close an open poll now: its results are final and votes are refused from then on.
    A poll that is closed already, or has not opened yet, is a ``PollError`` (409)."""
    locked = Poll.objects.select_for_update().get(pk=poll.pk)
    now = timezone.now()
    if locked.closes_at is not None and locked.closes_at <= now:
        raise PollError("This poll is closed already; its results are final.", status=409)
    if locked.opens_at > now:
        raise PollError(
            "This poll has not opened yet; change its dates or delete it instead.", status=409
        )
    locked.closes_at = now
    locked.save(update_fields=["closes_at"])
    shop_page_changed()
    poll.closes_at = locked.closes_at
    return locked


def poll_launch_notify_on_commit(*, poll: Poll) -> None:
    """Queue the "it launched" emails of ``poll`` once the transaction commits."""
    poll_id = poll.pk
    task_queue_on_commit("reviews.poll_launch_notify", poll_id)


def poll_launch_notify(*, poll_id: int) -> int:
    """Email everyone who asked to hear about an option whose product is now on sale,
    once each (rows locked while sent); returns how many emails went out. A launch email
    is marketing: one the consent gate refuses (``marketing_recipients``) is not sent (its
    row is closed all the same); one sent carries the one-click unsubscribe."""
    shop = current_shop()
    with transaction.atomic():
        notifications = list(
            PollNotification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("option__product", "option__poll")
            .filter(
                option__poll_id=poll_id,
                notified_at__isnull=True,
                option__product__status=Product.Status.ACTIVE,
            )
        )
        allowed = marketing_recipients(
            {notification.email: "" for notification in notifications},
            kind=MarketingHeld.Kind.POLL_LAUNCH,
        )
        sent = 0
        for notification in notifications:
            if notification.email.lower() not in allowed:
                continue
            product = notification.option.product
            url = shop_url(shop) + reverse("product-page", kwargs={"slug": product.slug})
            marketing_message(
                to=notification.email,
                subject=f"{notification.option.text} is here",
                text=(
                    f"You voted for “{notification.option.text}” in {shop.name}'s poll "
                    f"“{notification.option.poll.question}”. It is on sale now:\n{url}\n"
                ),
            ).send()
            sent += 1
        PollNotification.objects.filter(pk__in=[n.pk for n in notifications]).update(
            notified_at=timezone.now()
        )
    return sent
