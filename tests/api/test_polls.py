"""Polls in the partner API: results (votes, total, shares as strings), creation through
reviews.services with its rules, closing, constant queries per page, shops apart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import encode_multipart
from django.utils import timezone
from django_tenants.utils import tenant_context
from PIL import Image

from reviews.models import Poll
from reviews.services import PollError, poll_option_image_set, poll_vote
from tests.api.conftest import (
    ApiClient,
    a_poll,
    error_of,
    png_base64,
    png_bytes,
    post_twice_with_one_key,
    product_only_b_has,
)
from tests.catalog.conftest import BAD_PICTURES, ImageServer
from tests.reviews.helpers import a_shopper, make_product


@pytest.fixture
def polls_api(shop_a, make_key) -> ApiClient:
    return ApiClient("alpha", make_key(shop_a, ["polls:read", "polls:write"]))


def vote(poll, option_index: int, ip: str) -> None:
    option = poll.options.order_by("position")[option_index]
    poll_vote(poll_id=poll.pk, option_id=option.pk, shopper=a_shopper(ip))


def test_results_have_counts_total_and_shares_as_strings(shop_a, polls_api):
    with tenant_context(shop_a):
        poll = a_poll(options=("Sage", "Rust", "Navy"))
        vote(poll, 0, "192.0.2.1")
        vote(poll, 0, "198.51.100.1")
        vote(poll, 1, "203.0.113.1")
        empty = a_poll("Which size?", options=("S", "M"))

    body = polls_api.get(f"/api/v1/polls/{poll.pk}/").json()
    nobody = polls_api.get(f"/api/v1/polls/{empty.pk}/").json()

    assert body["total_votes"] == 3 and body["is_open"] is True
    assert [(o["text"], o["votes"], o["percentage"]) for o in body["options"]] == [
        ("Sage", 2, "66.7"),
        ("Rust", 1, "33.3"),
        ("Navy", 0, "0.0"),
    ]
    assert [o["percentage"] for o in nobody["options"]] == ["0.0", "0.0"]


def test_create_checks_options_and_products_of_this_shop(shop_a, shop_b, polls_api):
    beta_product = product_only_b_has(shop_b)
    with tenant_context(shop_a):
        shirt = make_product()
    opens = timezone.now() + timedelta(days=1)

    created = polls_api.post(
        "/api/v1/polls/",
        {
            "question": "Next colour?",
            "opens_at": opens.isoformat(),
            "options": [{"text": "Sage", "product_id": shirt.pk}, {"text": "Rust"}],
        },
    )
    one_option = polls_api.post("/api/v1/polls/", {"question": "?", "options": [{"text": "A"}]})
    foreign = polls_api.post(
        "/api/v1/polls/",
        {
            "question": "?",
            "options": [{"text": "A", "product_id": beta_product.pk}, {"text": "B"}],
        },
    )
    backwards = polls_api.post(
        "/api/v1/polls/",
        {
            "question": "?",
            "opens_at": opens.isoformat(),
            "closes_at": (opens - timedelta(hours=1)).isoformat(),
            "options": [{"text": "A"}, {"text": "B"}],
        },
    )

    assert created.status_code == 201
    body = created.json()
    assert body["is_open"] is False and body["total_votes"] == 0
    assert [(o["text"], o["product_id"], o["position"]) for o in body["options"]] == [
        ("Sage", shirt.pk, 0),
        ("Rust", None, 1),
    ]
    assert (one_option.status_code, error_of(one_option)["field"]) == (400, "options")
    assert (foreign.status_code, error_of(foreign)["field"]) == (400, "options[0].product_id")
    assert "not in this shop" in error_of(foreign)["message"]
    assert (backwards.status_code, error_of(backwards)["field"]) == (400, "closes_at")
    with tenant_context(shop_a):
        assert Poll.objects.count() == 1


def test_close_makes_results_final_and_refuses_votes(shop_a, polls_api):
    with tenant_context(shop_a):
        poll = a_poll()
        later = a_poll("Later?", opens_at=timezone.now() + timedelta(days=2))

    closed = polls_api.post(f"/api/v1/polls/{poll.pk}/close/")
    again = polls_api.post(f"/api/v1/polls/{poll.pk}/close/")
    not_open = polls_api.post(f"/api/v1/polls/{later.pk}/close/")
    open_now = polls_api.get("/api/v1/polls/", {"is_open": "true"})
    not_open_now = polls_api.get("/api/v1/polls/", {"is_open": "false"})

    assert closed.status_code == 200 and closed.json()["is_open"] is False
    assert closed.json()["closes_at"] is not None
    assert (again.status_code, error_of(again)["code"]) == (409, "poll_not_open")
    assert (not_open.status_code, error_of(not_open)["code"]) == (409, "poll_not_open")
    assert open_now.json()["results"] == []
    assert [p["id"] for p in not_open_now.json()["results"]] == [later.pk, poll.pk]
    with tenant_context(shop_a), pytest.raises(PollError, match="closed"):
        vote(poll, 0, "192.0.2.50")


def test_create_replays_with_the_same_idempotency_key(shop_a, polls_api):
    body = {"question": "Next?", "options": [{"text": "A"}, {"text": "B"}]}

    first, _again = post_twice_with_one_key(polls_api, "/api/v1/polls/", body, "poll-1")

    assert first.status_code == 201
    with tenant_context(shop_a):
        assert Poll.objects.count() == 1


@pytest.mark.parametrize("count", [2, 12])
def test_list_query_count_is_constant(shop_a, media, polls_api, count, django_assert_num_queries):
    with tenant_context(shop_a):
        for number in range(count):
            poll = a_poll(f"Poll {number}?", options=("A", "B", "C"))
            picture = ContentFile(png_bytes(), name="a.png")
            poll_option_image_set(option=poll.options.get(text="A"), file=picture)
    polls_api.get("/api/v1/polls/")  # the key's last use is recorded once a minute

    # SET search_path, the key, the polls, their options (the shop by host is cached)
    with django_assert_num_queries(4):
        response = polls_api.get("/api/v1/polls/", {"limit": 100})

    assert len(response.json()["results"]) == count
    assert all(len(poll["options"]) == 3 for poll in response.json()["results"])
    assert all(poll["options"][0]["image"] for poll in response.json()["results"])


def test_a_key_of_shop_a_never_sees_nor_closes_shop_bs_polls(shop_a, shop_b, make_key):
    with tenant_context(shop_b):
        for number in range(3):
            a_poll(f"Beta {number}?")
        theirs = a_poll("Beta secret?")
        their_option_id = theirs.options.first().pk
    with tenant_context(shop_a):
        ours = a_poll("Alpha?")
        assert not Poll.objects.filter(pk=theirs.pk).exists()
    api = ApiClient("alpha", make_key(shop_a, ["polls:read", "polls:write"]))

    listed = api.get("/api/v1/polls/")
    detail = api.get(f"/api/v1/polls/{theirs.pk}/")
    close = api.post(f"/api/v1/polls/{theirs.pk}/close/")
    their_option = f"/api/v1/polls/{theirs.pk}/options/{their_option_id}/image/"
    picture = api.client.post(
        their_option, {"file": SimpleUploadedFile("a.png", png_bytes())}, headers=api.headers
    )
    # an option of shop B's poll under shop A's own poll (ids are per schema)
    crossed = api.post(
        f"/api/v1/polls/{ours.pk}/options/{their_option_id}/image/", {"url": "http://x.test/a.png"}
    )

    assert [p["id"] for p in listed.json()["results"]] == [ours.pk]
    assert "Beta" not in listed.content.decode()
    assert detail.status_code == close.status_code == picture.status_code == 404
    assert crossed.status_code == 404
    with tenant_context(shop_b):
        theirs.refresh_from_db()
        assert not any(option.image for option in theirs.options.all())
    assert theirs.closes_at is None


# --- Options with pictures (shops.api.images) --------------------------------------------


def test_create_with_option_pictures_by_base64_and_by_url(shop_a, media, polls_api, image_server):
    ImageServer.routes = {"/rust.png": (200, png_bytes("brown"), 0)}

    created = polls_api.post(
        "/api/v1/polls/",
        {
            "question": "Next colour?",
            "options": [
                {"text": "Sage", "image": {"content_base64": png_base64("green")}},
                {"text": "Rust", "image": {"url": f"{image_server}/rust.png"}},
                {"text": "Navy"},
            ],
        },
    )

    assert created.status_code == 201, created.content
    images = [option["image"] for option in created.json()["options"]]
    assert images[0].startswith("http://alpha.localhost/media/shop_alpha/polls/picture-")
    assert images[1].startswith("http://alpha.localhost/media/shop_alpha/polls/rust-")
    assert images[2] == ""
    with tenant_context(shop_a):
        option = Poll.objects.get().options.get(text="Rust")
        with option.image.open("rb") as file, Image.open(file) as stored:
            assert stored.size == (300, 200) and dict(stored.getexif()) == {}


@pytest.mark.parametrize(("route", "code", "message"), BAD_PICTURES)
def test_an_option_picture_that_fails_is_a_400_and_writes_nothing(
    shop_a, media, polls_api, image_server, settings, route, code, message
):
    settings.REVIEWS_PHOTO_MAX_BYTES = 2048
    ImageServer.routes = {"/picture": route}

    response = polls_api.post(
        "/api/v1/polls/",
        {
            "question": "Which?",
            "options": [
                {"text": "A"},
                {"text": "B", "image": {"url": f"{image_server}/picture"}},
            ],
        },
    )

    assert response.status_code == 400
    # a download that fails names the url; bytes that are no picture, the picture
    assert error_of(response)["field"] == (
        "options[1].image" if code == "not_an_image" else "options[1].image.url"
    )
    assert (error_of(response)["code"], message in error_of(response)["message"]) == (code, True)
    with tenant_context(shop_a):
        assert not Poll.objects.exists()
    assert not (media / "shop_alpha" / "polls").exists()


def test_an_options_picture_is_set_by_multipart_and_replaced(
    shop_a, media, polls_api, django_capture_on_commit_callbacks
):
    with tenant_context(shop_a):
        poll = a_poll(options=("Sage", "Rust"))
        vote(poll, 1, "192.0.2.1")
        option = poll.options.get(text="Rust")
    path = f"/api/v1/polls/{poll.pk}/options/{option.pk}/image/"

    def send(colour: str, key: str):
        upload = SimpleUploadedFile("rust.png", png_bytes(colour), content_type="image/png")
        return polls_api.client.post(
            path,
            encode_multipart("b0undary", {"file": upload}),
            content_type="multipart/form-data; boundary=b0undary",
            headers={**polls_api.headers, "Idempotency-Key": key},
        )

    first = send("brown", "option-1")
    replayed = send("brown", "option-1")
    with django_capture_on_commit_callbacks(execute=True):
        replaced = send("orange", "option-2")

    assert first.status_code == replaced.status_code == 200, first.content
    assert replayed["Idempotent-Replayed"] == "true" and replayed.content == first.content
    rust, old = replaced.json()["options"][1], first.json()["options"][1]["image"]
    assert rust["votes"] == 1 and rust["image"] != old and "/polls/rust-" in rust["image"]
    assert sorted(p.name for p in (media / "shop_alpha" / "polls").iterdir()) == [
        rust["image"].rsplit("/", 1)[1]
    ]


def test_an_option_upload_too_large_or_not_a_picture_is_a_400(shop_a, media, polls_api, settings):
    settings.REVIEWS_PHOTO_MAX_BYTES = 100
    with tenant_context(shop_a):
        poll = a_poll()
        option = poll.options.first()
    path = f"/api/v1/polls/{poll.pk}/options/{option.pk}/image/"

    large = polls_api.client.post(
        path, {"file": SimpleUploadedFile("big.png", png_bytes())}, headers=polls_api.headers
    )
    not_picture = polls_api.client.post(
        path, {"file": SimpleUploadedFile("a.txt", b"hello")}, headers=polls_api.headers
    )
    private = polls_api.post(path, {"url": "http://169.254.169.254/x.png"})

    assert (large.status_code, error_of(large)["field"]) == (400, "file")
    assert error_of(large)["code"] == "image_too_large"
    assert error_of(large)["message"] == (
        "The image is larger than 0.0977 KB; export it smaller and try again."
    )
    assert (not_picture.status_code, error_of(not_picture)["code"]) == (400, "not_an_image")
    assert (private.status_code, error_of(private)["field"]) == (400, "url")
    with tenant_context(shop_a):
        option.refresh_from_db()
        assert not option.image
