"""Polls: one vote per shopper (token, with the address as backstop), counted with a
conditional insert and an ``F()`` increment; closed or unopened polls refuse votes."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from reviews.models import Poll, PollNotification, PollOption, PollVote
from reviews.shoppers import Shopper


class PollError(Exception):
    """A refused poll vote; ``status`` is the HTTP answer (404, 409)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


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
        raise PollError("There is no such option in this poll.", status=404)
    now = timezone.now()
    if option.poll.opens_at > now:
        raise PollError("This poll is not open yet.", status=409)
    if option.poll.closes_at is not None and now >= option.poll.closes_at:
        raise PollError("This poll is closed; the results are final.", status=409)
    notify_email = (notify_email or "").strip()
    if notify_email:
        try:
            validate_email(notify_email)
        except ValidationError:
            raise PollError("Enter a valid email address to be told.", status=400) from None
    try:
        with transaction.atomic():
            PollVote.objects.create(
                poll_id=poll_id, option=option, voter=shopper.voter, ip_hash=shopper.ip_hash
            )
    except IntegrityError:
        raise PollError("You have already voted in this poll.", status=409) from None
    PollOption.objects.filter(pk=option.pk).update(vote_count=F("vote_count") + 1)
    if notify_email:
        PollNotification.objects.get_or_create(option=option, email=notify_email.lower())
    return option
