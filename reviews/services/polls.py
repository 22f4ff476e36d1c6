"""Polls: one vote per shopper (their token; their address only when they have no
token), counted with a conditional insert and an ``F()`` increment; closed or unopened
polls refuse votes. Shoppers sharing an address each vote: abuse is held by the rate
limits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product
from reviews.models import Poll, PollNotification, PollOption, PollVote
from reviews.services.photos import picture_clean_upload
from reviews.shoppers import Shopper
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


@transaction.atomic
def poll_vote(
    *, poll_id: int, option_id: int, shopper: Shopper, notify_email: str = ""
) -> PollOption:
    """Count the shopper's vote for ``option_id``; with ``notify_email`` also remember to
    tell them when that option launches. A second vote by the same shopper is a 409."""
    option = PollOption.objects.select_related("poll").filter(pk=option_id, poll_id=poll_id).first()
    if option is None:
        raise PollError(
            "There is no such option in this poll.",
            status=404,
            code="unknown_option",
            field="option",
        )
    now = timezone.now()
    if option.poll.opens_at > now:
        raise PollError("This poll is not open yet.", status=409, code="poll_not_open")
    if option.poll.closes_at is not None and now >= option.poll.closes_at:
        raise PollError(
            "This poll is closed; the results are final.", status=409, code="poll_closed"
        )
    notify_email = (notify_email or "").strip()
    if notify_email:
        try:
            validate_email(notify_email)
        except ValidationError:
            raise PollError(
                "Enter a valid email address to be told.",
                status=400,
                code="invalid_email",
                field="notify_email",
            ) from None
    try:
        with transaction.atomic():
            PollVote.objects.create(
                poll_id=poll_id, option=option, voter=shopper.voter, ip_hash=shopper.ip_hash
            )
    except IntegrityError:
        raise PollError(
            "You have already voted in this poll.", status=409, code="already_voted"
        ) from None
    PollOption.objects.filter(pk=option.pk).update(vote_count=F("vote_count") + 1)
    if notify_email:
        PollNotification.objects.get_or_create(option=option, email=notify_email.lower())
    return option


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
    once each (rows locked while sent); returns how many emails went out."""
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
        for notification in notifications:
            product = notification.option.product
            url = shop_url(shop) + reverse("product-page", kwargs={"slug": product.slug})
            send_mail(
                subject=f"{notification.option.text} is here",
                message=(
                    f"You voted for “{notification.option.text}” in {shop.name}'s poll "
                    f"“{notification.option.poll.question}”. It is on sale now:\n{url}\n"
                ),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[notification.email],
            )
        PollNotification.objects.filter(pk__in=[n.pk for n in notifications]).update(
            notified_at=timezone.now()
        )
    return len(notifications)
