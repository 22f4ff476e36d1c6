"""Polls: one vote per shopper, results after voting and once closed, closed and
unopened polls refuse votes, notify-me emails, the poll section and its queries."""

from datetime import timedelta

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reviews.models import Poll, PollNotification, PollOption, PollVote
from shops.storefront import services as storefront
from tests.consent.helpers import consent_confirmed
from tests.reviews.helpers import approved_review, make_product, shopper_client


def make_poll(question="Which colour next?", *, opens=-1, closes=7, options=("Sage", "Rust")):
    now = timezone.now()
    poll = Poll.objects.create(
        question=question,
        opens_at=now + timedelta(days=opens),
        closes_at=now + timedelta(days=closes) if closes is not None else None,
    )
    for position, text in enumerate(options):
        PollOption.objects.create(poll=poll, text=text, position=position)
    return poll


def vote(client, poll, option, token: str | None = None, **data):
    """A poll vote through the API (JSON, the token in a header)."""
    headers = {"HTTP_X_SHOPPER_TOKEN": token} if token else {}
    return client.post(
        f"/api/v1/polls/{poll.pk}/vote/",
        {"option": option.pk, **data},
        content_type="application/json",
        **headers,
    )


def test_one_vote_per_shopper_and_results_after_voting(shop_a):
    connection.set_tenant(shop_a)
    poll = make_poll()
    sage, rust = poll.options.all()
    client = shopper_client(ip="198.51.100.1")

    before = client.get(f"/polls/{poll.pk}/").content.decode()
    first = vote(client, poll, sage)
    token = first.json()["token"]
    again = vote(client, poll, rust, token=token)
    other = vote(shopper_client(ip="203.0.113.2"), poll, rust)
    after = client.get(f"/polls/{poll.pk}/").content.decode()

    assert 'type="radio"' in before and "%" not in before
    assert first.status_code == 200
    assert first.json()["results"] == [
        {"option": sage.pk, "votes": 1, "percent": 100},
        {"option": rust.pk, "votes": 0, "percent": 0},
    ]
    assert (again.status_code, again.json()) == (
        409,
        {
            "error": {
                "code": "already_voted",
                "message": "You have already voted in this poll.",
                "field": None,
            }
        },
    )
    assert other.json()["results"][1] == {"option": rust.pk, "votes": 1, "percent": 50}
    assert 'type="radio"' not in after and "50%" in after
    assert PollVote.objects.count() == 2


def test_closed_and_unopened_polls_refuse_votes(shop_a):
    connection.set_tenant(shop_a)
    closed = make_poll(opens=-10, closes=-1)
    future = make_poll(opens=2, closes=9)

    closed_answer = vote(shopper_client(), closed, closed.options.first())
    future_answer = vote(shopper_client(), future, future.options.first())
    page = shopper_client().get(f"/polls/{closed.pk}/").content.decode()

    assert (closed_answer.status_code, closed_answer.json()["error"]) == (
        409,
        {
            "code": "poll_closed",
            "message": "This poll is closed; the results are final.",
            "field": None,
        },
    )
    assert (future_answer.status_code, future_answer.json()["error"]) == (
        409,
        {"code": "poll_not_open", "message": "This poll is not open yet.", "field": None},
    )
    assert "this poll is closed" in page and 'type="radio"' not in page
    assert PollVote.objects.count() == 0


def test_unknown_polls_and_options_are_404(shop_a):
    connection.set_tenant(shop_a)
    poll = make_poll()
    other = make_poll("Other?")

    assert shopper_client().get("/polls/999999/").status_code == 404
    assert vote(shopper_client(), poll, other.options.first()).status_code == 404


def test_notify_me_remembers_the_email_per_option(shop_a):
    connection.set_tenant(shop_a)
    poll = make_poll()
    sage = poll.options.first()

    bad = vote(shopper_client(ip="192.0.2.1"), poll, sage, notify_email="not an email")
    good = vote(shopper_client(ip="192.0.2.2"), poll, sage, notify_email="Fan@Example.test")

    assert bad.status_code == 400 and good.status_code == 200
    assert list(PollNotification.objects.values_list("option_id", "email")) == [
        (sage.pk, "fan@example.test")
    ]


def test_a_vote_without_javascript_shows_the_results(shop_a):
    connection.set_tenant(shop_a)
    poll = make_poll()

    response = shopper_client().post(f"/polls/{poll.pk}/", {"option": poll.options.first().pk})

    assert response.status_code == 200
    assert "Thanks for voting!" in response.content.decode()
    assert "100%" in response.content.decode()


def test_sections_show_the_poll_and_the_reviews_wall_in_constant_queries(shop_a, media):
    connection.set_tenant(shop_a)
    make_poll("Name our <b>next</b> mug?")
    product = make_product()
    approved_review(product, rating=5, body="Wall <script>alert(1)</script>", ip="10.1.0.1")
    for kind in ("poll", "reviews_wall"):
        storefront.section_add(section_type_key=kind)
    storefront.design_publish()
    connection.set_schema_to_public()

    def cold(path):
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = shopper_client().get(path)
        assert response.status_code == 200
        return len(queries), response.content.decode()

    few, html = cold("/")
    connection.set_tenant(shop_a)
    for n in range(20):
        approved_review(product, rating=5, body=f"Wall {n}", ip=f"10.2.{n}.1")
    make_poll("A newer poll?", options=[f"Option {n}" for n in range(10)])
    connection.set_schema_to_public()
    many, html_many = cold("/")
    embed, embed_html = cold("/embed/")

    assert few == many == embed + 1  # the page's header has a collections menu, the embed none
    assert "Name our &lt;b&gt;next&lt;/b&gt; mug?" in html
    assert "Wall &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert "A newer poll?" in html_many and html_many.count('name="option"') == 10
    assert 'action="/polls/' in embed_html and "?embed=1" in embed_html
    print({"shop_page_cold_queries": many})


def test_notify_me_emails_once_when_the_option_launches(shop_a):
    from django.core import mail

    from catalog.models import Product
    from reviews.services import poll_launch_notify

    connection.set_tenant(shop_a)
    product = make_product("Sage Tee", slug="sage-tee")
    Product.objects.filter(pk=product.pk).update(status=Product.Status.DRAFT)
    poll = make_poll()
    sage, rust = poll.options.all()
    PollOption.objects.filter(pk=sage.pk).update(product=product)
    vote(shopper_client(ip="192.0.2.1"), poll, sage, notify_email="fan@example.test")
    vote(shopper_client(ip="192.0.2.2"), poll, rust, notify_email="other@example.test")
    consent_confirmed("fan@example.test", source="poll")  # a launch email is marketing
    mail.outbox.clear()

    assert poll_launch_notify(poll_id=poll.pk) == 0  # not on sale yet
    Product.objects.filter(pk=product.pk).update(status=Product.Status.ACTIVE)
    sent = poll_launch_notify(poll_id=poll.pk)
    again = poll_launch_notify(poll_id=poll.pk)

    assert (sent, again) == (1, 0)
    assert [m.to for m in mail.outbox] == [["fan@example.test"]]
    assert "http://alpha.localhost/products/sage-tee/" in mail.outbox[0].body


def _poll_form(options: list[dict]) -> dict:
    data = {
        "question": "Which mug?",
        "opens_at_0": "2026-01-01",
        "opens_at_1": "10:00:00",
        "closes_at_0": "2030-01-01",
        "closes_at_1": "10:00:00",
        "options-TOTAL_FORMS": str(len(options)),
        "options-INITIAL_FORMS": "0",
        "options-MIN_NUM_FORMS": "0",
        "options-MAX_NUM_FORMS": "10",
    }
    for index, option in enumerate(options):
        data.update({f"options-{index}-{key}": value for key, value in option.items()})
    return data


def test_the_admin_makes_polls_of_two_to_ten_options_with_clean_pictures(shop_a):
    from tests.reviews.helpers import photo
    from tests.storefront.helpers import owner

    connection.set_tenant(shop_a)
    client = owner()

    one = client.post("/admin/reviews/poll/add/", _poll_form([{"text": "Only", "position": "0"}]))
    bad = client.post(
        "/admin/reviews/poll/add/",
        _poll_form(
            [
                {"text": "A", "position": "0", "image": photo(name="a.jpg")},
                {"text": "B", "position": "1", "image": photo(name="b.jpg", fmt="BMP")},
            ]
        ),
    )
    good = client.post(
        "/admin/reviews/poll/add/",
        _poll_form(
            [
                {"text": "A", "position": "0", "image": photo(name="a.jpg", exif=True)},
                {"text": "B", "position": "1"},
            ]
        ),
    )

    assert one.status_code == 200 and "A poll has 2 to 10 options." in one.content.decode()
    assert bad.status_code == 200 and "BMP images are not accepted" in bad.content.decode()
    assert good.status_code == 302
    poll = Poll.objects.get()
    option = poll.options.get(text="A")
    with option.image.open("rb") as file:
        from PIL import Image

        assert not Image.open(file).getexif()
