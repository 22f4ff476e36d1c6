"""Polls that ask voters to confirm by email: a vote waits uncounted until its signed,
expiring link is opened, counts once, once per address (lower-cased) and per shopper;
a link is worthless in another shop; the address is never kept. And bursts of votes
from one address flag a poll in the admin (still counted), a normal poll is not."""

from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from reviews.models import Poll, PollAnomaly, PollOption, PollVote
from reviews.services import PollConfirmError, PollError, poll_vote, poll_vote_confirm
from reviews.shoppers import shopper_token_new
from tests.conftest import tasks_sent_to, wait_until, worker_start, worker_stop
from tests.reviews.fake_smtp import FakeSMTP
from tests.reviews.helpers import a_shopper, shopper_client
from tests.reviews.test_polls import make_poll

LINK = re.compile(r"http://[^/\s]+(/polls/confirm/[^/\s]+/)")


def confirm_poll(**kwargs) -> Poll:
    poll = make_poll(**kwargs)
    Poll.objects.filter(pk=poll.pk).update(confirm_by_email=True)
    poll.refresh_from_db()
    return poll


def counts(poll: Poll) -> list[int]:
    return list(PollOption.objects.filter(poll=poll).values_list("vote_count", flat=True))


def vote_and_link(poll, option, email, *, ip, capture) -> str:
    """Vote (the confirmation email runs on commit, in-process) and return its link path."""
    mail.outbox.clear()
    with capture(execute=True):
        poll_vote(poll_id=poll.pk, option_id=option.pk, shopper=a_shopper(ip), email=email)
    assert [m.to for m in mail.outbox] == [[email]]
    return LINK.search(mail.outbox[0].body).group(1)


def token_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[1]


def test_a_vote_waits_until_confirmed_then_counts_once(shop_a, django_capture_on_commit_callbacks):
    connection.set_tenant(shop_a)
    poll = confirm_poll()
    sage = poll.options.first()

    path = vote_and_link(
        poll, sage, "Fan@Example.test", ip="192.0.2.1", capture=django_capture_on_commit_callbacks
    )
    waiting = counts(poll)
    first = poll_vote_confirm(token_of(path))
    second = poll_vote_confirm(token_of(path))  # opening the link again is harmless

    assert waiting == [0, 0]
    assert (first.already, second.already) == (False, True)
    assert counts(poll) == [1, 0]
    vote = PollVote.objects.get()
    assert vote.confirmed_at is not None and vote.confirm_sent_at is not None
    # the address itself is not kept: a keyed hash of it, lower-cased, is
    row = PollVote.objects.filter(pk=vote.pk).values().get()
    assert not any("example.test" in str(value).lower() for value in row.values())
    assert vote.email_hash and vote.email_hash != "fan@example.test"


def test_two_addresses_both_count_and_one_address_counts_once(
    shop_a, django_capture_on_commit_callbacks
):
    connection.set_tenant(shop_a)
    poll = confirm_poll()
    sage, rust = poll.options.all()
    capture = django_capture_on_commit_callbacks

    ann = vote_and_link(poll, sage, "ann@example.test", ip="192.0.2.1", capture=capture)
    bob = vote_and_link(poll, rust, "bob@example.test", ip="192.0.2.2", capture=capture)
    # the same address from another shopper (token), upper-cased
    ann_again = vote_and_link(poll, rust, "ANN@example.test", ip="192.0.2.3", capture=capture)
    poll_vote_confirm(token_of(ann))
    poll_vote_confirm(token_of(bob))
    with pytest.raises(PollConfirmError, match="has confirmed a vote in this poll already"):
        poll_vote_confirm(token_of(ann_again))

    assert counts(poll) == [1, 1]
    assert PollVote.objects.filter(confirmed_at__isnull=False).count() == 2


def test_an_email_is_needed_and_must_be_valid(shop_a):
    connection.set_tenant(shop_a)
    poll = confirm_poll()
    sage = poll.options.first()

    with pytest.raises(PollError, match="Enter your email address") as missing:
        poll_vote(poll_id=poll.pk, option_id=sage.pk, shopper=a_shopper("192.0.2.1"))
    with pytest.raises(PollError, match="valid email address") as bad:
        poll_vote(poll_id=poll.pk, option_id=sage.pk, shopper=a_shopper("192.0.2.1"), email="nope")
    page = shopper_client(ip="192.0.2.1").post(f"/polls/{poll.pk}/", {"option": sage.pk})

    assert (missing.value.status, missing.value.field, bad.value.field) == (400, "email", "email")
    assert page.status_code == 400 and "Enter your email address" in page.content.decode()
    assert PollVote.objects.count() == 0


def test_the_page_says_to_check_email_and_counts_after_the_link(
    shop_a, django_capture_on_commit_callbacks
):
    connection.set_tenant(shop_a)
    poll = confirm_poll()
    sage = poll.options.first()
    client = shopper_client(ip="192.0.2.1")
    token = client.post("/api/v1/shopper-token/").json()["token"]

    with django_capture_on_commit_callbacks(execute=True):
        voted = client.post(
            f"/polls/{poll.pk}/",
            {"option": sage.pk, "email": "secret-fan@example.test", "shopper_token": token},
        )
    html = voted.content.decode()
    path = LINK.search(mail.outbox[-1].body).group(1)
    confirmed = client.get(path)
    again = client.get(path)
    page = client.get(f"/polls/{poll.pk}/", HTTP_X_SHOPPER_TOKEN=token).content.decode()

    assert voted.status_code == 200 and "Check your email to confirm your vote" in html
    assert "secret-fan" not in html and 'type="radio"' not in html
    assert "0 votes" in html
    assert confirmed.status_code == 200 and "Your vote counts now" in confirmed.content.decode()
    assert "1 vote" in confirmed.content.decode()
    assert again.status_code == 200 and "confirmed already" in again.content.decode()
    assert "Check your email" not in page and "1 vote" in page and "secret-fan" not in page
    assert counts(poll) == [1, 0]


def test_tampered_expired_and_other_shops_links_give_a_clear_page(
    shop_a, shop_b, settings, django_capture_on_commit_callbacks
):
    connection.set_tenant(shop_a)
    poll = confirm_poll()
    sage = poll.options.first()
    path = vote_and_link(
        poll, sage, "fan@example.test", ip="192.0.2.1", capture=django_capture_on_commit_callbacks
    )

    tampered = shopper_client().get(path.replace("/confirm/", "/confirm/x"))
    in_shop_b = shopper_client("beta").get(path)
    settings.REVIEWS_POLL_CONFIRM_LINK_HOURS = 0
    time.sleep(1.1)
    expired = shopper_client().get(path)

    for answer, words in (
        (tampered, "not valid in this shop"),
        (in_shop_b, "not valid in this shop"),
        (expired, "has expired"),
    ):
        assert answer.status_code == 400
        assert words in answer.content.decode()
        assert "We cannot confirm a vote through this link" in answer.content.decode()
    connection.set_tenant(shop_a)
    assert counts(poll) == [0, 0] and PollVote.objects.get().confirmed_at is None


def test_voting_again_before_confirming_replaces_the_waiting_vote(
    shop_a, django_capture_on_commit_callbacks
):
    connection.set_tenant(shop_a)
    poll = confirm_poll()
    sage, rust = poll.options.all()
    shopper = a_shopper("192.0.2.1")
    capture = django_capture_on_commit_callbacks

    with capture(execute=True):
        poll_vote(poll_id=poll.pk, option_id=sage.pk, shopper=shopper, email="a@example.test")
    with capture(execute=True):
        poll_vote(poll_id=poll.pk, option_id=rust.pk, shopper=shopper, email="b@example.test")
    old, new = (LINK.search(m.body).group(1) for m in mail.outbox[-2:])
    with pytest.raises(PollConfirmError, match="replaced by a newer vote"):
        poll_vote_confirm(token_of(old))
    poll_vote_confirm(token_of(new))
    with pytest.raises(PollError, match="already voted"):
        poll_vote(poll_id=poll.pk, option_id=sage.pk, shopper=shopper, email="c@example.test")

    assert counts(poll) == [0, 1] and PollVote.objects.count() == 1


def test_a_burst_from_one_address_flags_the_poll_and_a_normal_poll_is_not(shop_a, settings):
    from tests.storefront.helpers import owner

    settings.REVIEWS_POLL_BURST_VOTES, settings.REVIEWS_POLL_BURST_MINUTES = 3, 10
    connection.set_tenant(shop_a)
    busy, calm = make_poll("Busy?"), make_poll("Calm?")
    for _ in range(5):  # five shoppers (tokens) behind one address
        poll_vote(
            poll_id=busy.pk,
            option_id=busy.options.first().pk,
            shopper=a_shopper("198.51.100.9", token=shopper_token_new()),
        )
    for index in range(5):  # five shoppers at five addresses
        poll_vote(
            poll_id=calm.pk,
            option_id=calm.options.first().pk,
            shopper=a_shopper(f"198.51.100.{20 + index}"),
        )

    anomaly = PollAnomaly.objects.get()
    client = owner()
    listing = client.get("/admin/reviews/poll/").content.decode()
    busy_page = client.get(f"/admin/reviews/poll/{busy.pk}/change/").content.decode().lower()
    calm_page = client.get(f"/admin/reviews/poll/{calm.pk}/change/").content.decode().lower()

    assert (anomaly.poll_id, anomaly.vote_count, anomaly.window_minutes) == (busy.pk, 5, 10)
    assert counts(busy)[0] == 5 and counts(calm)[0] == 5  # still counted by the rules
    assert "198.51.100" not in str(PollAnomaly.objects.values().get())
    assert "unusual bursts of votes" in busy_page and anomaly.ip_hash[:12] in busy_page
    assert "198.51.100.9" not in busy_page
    assert "unusual bursts of votes" not in calm_page
    assert listing.count("Unusual burst: review") == 1  # the busy poll only


def recorded(shop) -> bool:
    """Whether the worker wrote down that it sent the confirmation email."""
    with tenant_context(shop):
        return PollVote.objects.filter(confirm_sent_at__isnull=False).exists()


def test_a_real_worker_emails_the_confirmation_link(committed_shop, django_db_blocker, tmp_path):
    shop = committed_shop("confirmer").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        poll = confirm_poll()
        sage = poll.options.first()
    queue = f"test-{uuid.uuid4().hex[:8]}"
    with FakeSMTP() as smtp:
        worker = worker_start(
            queue=queue,
            media_root=tmp_path,
            env={"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp.port), "EMAIL_USE_TLS": "0"},
        )
        try:
            with tasks_sent_to(queue), django_db_blocker.unblock(), tenant_context(shop):
                poll_vote(
                    poll_id=poll.pk,
                    option_id=sage.pk,
                    shopper=a_shopper("192.0.2.1"),
                    email="Voter@Example.test",
                )
            sent = wait_until(lambda: recorded(shop) and smtp.received, django_db_blocker, 60)
        finally:
            worker_stop(worker)

    assert sent, "the worker sent no confirmation email"
    [(recipients, message)] = smtp.received
    body = message.get_content()
    assert recipients == ["Voter@Example.test"]
    assert "Confirm your vote" in message["Subject"]
    with django_db_blocker.unblock(), tenant_context(shop):
        vote = PollVote.objects.get()
        assert vote.confirm_sent_at is not None and vote.confirmed_at is None
        poll_vote_confirm(token_of(LINK.search(body).group(1)))
        assert counts(poll) == [1, 0]


def test_the_merchant_asks_for_email_confirmation_in_the_admin(shop_a):
    from tests.reviews.test_polls import _poll_form
    from tests.storefront.helpers import owner

    connection.set_tenant(shop_a)
    options = [{"text": "A", "position": "0"}, {"text": "B", "position": "1"}]
    form = owner().get("/admin/reviews/poll/add/").content.decode()
    saved = owner().post(
        "/admin/reviews/poll/add/", {**_poll_form(options), "confirm_by_email": "on"}
    )

    assert "Ask voters to confirm by email" in form
    assert saved.status_code == 302
    assert Poll.objects.get().confirm_by_email is True


# --- Through the shopper API ------------------------------------------------------------


def api_vote(poll, option, body: dict, *, ip: str = "198.51.100.9"):
    return shopper_client(ip=ip).post(
        f"/api/v1/polls/{poll.pk}/vote/",
        {"option": option.pk, **body},
        content_type="application/json",
    )


def test_the_api_asks_for_the_email_of_a_confirm_by_email_poll(shop_a):
    with tenant_context(shop_a):
        poll = confirm_poll()
        sage = poll.options.first()

    missing = api_vote(poll, sage, {})
    invalid = api_vote(poll, sage, {"email": "not an address"})

    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "email_required"
    assert missing.json()["error"]["field"] == "email"
    assert invalid.status_code == 400
    assert invalid.json()["error"]["code"] == "invalid_email"
    with tenant_context(shop_a):
        assert not PollVote.objects.exists()


def api_vote_by(shop, make, capture):
    """A fan's vote with an email, through the API, in a poll ``make`` makes; the answer,
    the poll and its first option (the email, if any, is in the outbox)."""
    with tenant_context(shop):
        poll = make()
        sage = poll.options.first()
    mail.outbox.clear()
    with capture(execute=True):
        return api_vote(poll, sage, {"email": "fan@example.test"}), poll, sage


def test_an_api_vote_waits_for_the_link_emailed_then_counts(
    shop_a, django_capture_on_commit_callbacks
):
    answer, poll, _ = api_vote_by(shop_a, confirm_poll, django_capture_on_commit_callbacks)

    assert answer.status_code == 200
    body = answer.json()
    assert (body["voted"], body["waiting_confirmation"]) == (None, True)
    assert [result["votes"] for result in body["results"]] == [0, 0]
    assert [m.to for m in mail.outbox] == [["fan@example.test"]]
    path = LINK.search(mail.outbox[0].body).group(1)
    with tenant_context(shop_a):
        assert PollVote.objects.get().email_hash != ""
        assert "fan@example.test" not in str(PollVote.objects.values().get())
    # the storefront's link counts it
    opened = shopper_client().get(path)
    assert opened.status_code == 200
    with tenant_context(shop_a):
        assert counts(poll)[0] == 1


def test_an_api_vote_in_a_normal_poll_counts_at_once_and_ignores_email(
    shop_a, django_capture_on_commit_callbacks
):
    answer, _, sage = api_vote_by(shop_a, make_poll, django_capture_on_commit_callbacks)

    assert answer.status_code == 200
    assert (answer.json()["voted"], answer.json()["waiting_confirmation"]) == (sage.pk, False)
    assert mail.outbox == []


def test_votes_far_above_the_polls_usual_rate_flag_it_with_the_figures(shop_a, settings):
    from tests.storefront.helpers import owner

    # given: a poll open for 10 hours (60 windows of 10 minutes) with 60 votes before,
    # about one per window; per-address bursts out of the way
    settings.REVIEWS_POLL_BURST_VOTES, settings.REVIEWS_POLL_BURST_MINUTES = 1000, 10
    settings.REVIEWS_POLL_RATE_FACTOR, settings.REVIEWS_POLL_RATE_MIN_VOTES = 5, 8
    connection.set_tenant(shop_a)
    busy, calm = make_poll("Busy?"), make_poll("Calm?")
    opened = timezone.now() - timedelta(hours=10)
    Poll.objects.filter(pk__in=[busy.pk, calm.pk]).update(opens_at=opened)
    for poll in (busy, calm):
        option = poll.options.first()
        PollVote.objects.bulk_create(
            PollVote(
                poll=poll,
                option=option,
                voter=f"old-{poll.pk}-{number}",
                ip_hash=f"old-{number}",
                confirmed_at=opened,
            )
            for number in range(60)
        )
        PollVote.objects.filter(poll=poll).update(created=opened + timedelta(minutes=1))

    def votes(poll, count: int) -> None:
        for index in range(count):
            poll_vote(
                poll_id=poll.pk,
                option_id=poll.options.first().pk,
                shopper=a_shopper(f"203.0.113.{index + 1}", token=shopper_token_new()),
            )

    # when: 12 votes in a few minutes for the busy poll (12 > 5 times 1.2, and at least 8), 4
    # for the calm one (under the minimum)
    votes(busy, 12)
    votes(calm, 4)

    # then: the busy poll is flagged once, with the latest figures; the votes counted
    (anomaly,) = PollAnomaly.objects.all()
    assert (anomaly.poll_id, anomaly.kind, anomaly.ip_hash) == (busy.pk, "rate", "")
    assert (anomaly.vote_count, anomaly.window_minutes) == (12, 10)
    assert anomaly.usual_votes == Decimal("1.20")  # 72 votes over 60 windows
    client = owner()
    page = client.get(f"/admin/reviews/poll/{busy.pk}/change/").content.decode()
    listing = client.get("/admin/reviews/poll/").content.decode()
    assert "Far above the poll&#x27;s usual rate" in page
    assert (
        "12 votes in 10 min: 10 times the poll&#x27;s usual 1.20 votes per 10 min since it opened"
        in page
    )
    assert listing.count("Unusual burst: review") == 1


def test_a_poll_just_opened_is_never_above_its_own_rate(shop_a, settings):
    settings.REVIEWS_POLL_BURST_VOTES = 1000
    settings.REVIEWS_POLL_RATE_FACTOR, settings.REVIEWS_POLL_RATE_MIN_VOTES = 5, 3
    connection.set_tenant(shop_a)
    poll = make_poll("Launch?")
    Poll.objects.filter(pk=poll.pk).update(opens_at=timezone.now() - timedelta(minutes=2))

    for index in range(10):
        poll_vote(
            poll_id=poll.pk,
            option_id=poll.options.first().pk,
            shopper=a_shopper(f"203.0.113.{index + 1}", token=shopper_token_new()),
        )

    assert not PollAnomaly.objects.exists()
