"""Conventions of every endpoint: Idempotency-Key on POST, the error object, throttling."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import override_settings
from django_tenants.utils import tenant_context

from catalog.models import Product
from catalog.services import VariantInput, product_create
from shops.api.models import IdempotencyRecord
from tests.api.conftest import ENDPOINTS, ApiClient, error_of

POST_ENDPOINTS = [(path, body) for method, path, body, _scope in ENDPOINTS if method == "post"]


def test_same_key_and_body_replays_the_first_response(shop_a, api_a):
    body = {"title": "Once", "variants": [{"sku": "ONCE", "price": "5"}]}

    first = api_a.post("/api/v1/products/", body, headers={"Idempotency-Key": "k-1"})
    again = api_a.post("/api/v1/products/", body, headers={"Idempotency-Key": "k-1"})

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    with tenant_context(shop_a):
        assert Product.objects.filter(title="Once").count() == 1


def test_same_key_with_another_body_is_409(shop_a, api_a):
    api_a.post("/api/v1/products/", {"title": "One"}, headers={"Idempotency-Key": "k-2"})

    other = api_a.post("/api/v1/products/", {"title": "Two"}, headers={"Idempotency-Key": "k-2"})

    assert other.status_code == 409
    assert error_of(other)["code"] == "idempotency_key_reused"
    with tenant_context(shop_a):
        assert not Product.objects.filter(title="Two").exists()


def test_validation_errors_are_replayed_too(api_a):
    first = api_a.post("/api/v1/products/", {"title": ""}, headers={"Idempotency-Key": "k-3"})
    again = api_a.post("/api/v1/products/", {"title": ""}, headers={"Idempotency-Key": "k-3"})

    assert first.status_code == again.status_code == 400
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first


def test_keys_are_per_api_key(shop_a, make_key):
    one = ApiClient("alpha", make_key(shop_a))
    two = ApiClient("alpha", make_key(shop_a))

    first = one.post("/api/v1/products/", {"title": "A"}, headers={"Idempotency-Key": "same"})
    second = two.post("/api/v1/products/", {"title": "B"}, headers={"Idempotency-Key": "same"})

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]


def test_a_request_still_running_with_the_key_is_409(shop_a, api_a):
    from shops.api.services import api_key_for_secret

    with tenant_context(shop_a):
        key = api_key_for_secret(secret=api_a.headers["Authorization"].split()[1])
        IdempotencyRecord.objects.create(
            owner=f"key:{key.pk}",
            key="busy",
            method="POST",
            path="/api/v1/products/",
            body_hash="x",
        )

    response = api_a.post("/api/v1/products/", {"title": "X"}, headers={"Idempotency-Key": "busy"})

    assert response.status_code == 409
    assert error_of(response)["code"] in ("idempotency_key_in_use", "idempotency_key_reused")


def test_an_expired_record_is_forgotten(shop_a, api_a):
    from datetime import timedelta

    from django.utils import timezone

    api_a.post("/api/v1/products/", {"title": "Old"}, headers={"Idempotency-Key": "k-old"})
    with tenant_context(shop_a):
        IdempotencyRecord.objects.filter(key="k-old").update(
            created=timezone.now() - timedelta(hours=25)
        )

    again = api_a.post("/api/v1/products/", {"title": "New"}, headers={"Idempotency-Key": "k-old"})

    assert again.status_code == 201
    assert again.json()["title"] == "New"


def test_concurrent_requests_with_one_key_create_one_product(
    committed_shop, make_key, django_db_blocker
):
    """Four threads, each with its own connection, race on the unique constraint."""
    shop = committed_shop("racer").shop
    django_db_blocker.unblock()
    secret = make_key(shop)
    results = []
    barrier = threading.Barrier(4)

    def send() -> None:
        client = ApiClient("racer", secret)
        barrier.wait()
        response = client.post(
            "/api/v1/products/", {"title": "Raced"}, headers={"Idempotency-Key": "race"}
        )
        results.append(response.status_code)
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with tenant_context(shop):
        created = Product.objects.filter(title="Raced").count()
    django_db_blocker.restore()
    assert created == 1
    assert results.count(201) >= 1
    assert set(results) <= {201, 409}


def test_idempotency_key_too_long_is_400(api_a):
    response = api_a.post(
        "/api/v1/products/", {"title": "X"}, headers={"Idempotency-Key": "k" * 256}
    )

    assert response.status_code == 400
    assert error_of(response)["field"] == "Idempotency-Key"


def test_errors_have_one_shape(shop_a, api_a):
    unknown_path = api_a.get("/api/v1/nothing-here/")
    not_allowed = api_a.client.put("/api/v1/products/", headers=api_a.headers)
    bad_json = api_a.client.post(
        "/api/v1/products/", "{not json", content_type="application/json", headers=api_a.headers
    )
    bad_id = api_a.get("/api/v1/products/abc/")

    assert unknown_path.status_code == 404
    assert error_of(unknown_path)["code"] == "not_found"
    assert not_allowed.status_code == 405
    assert error_of(not_allowed) == {
        "code": "method_not_allowed",
        "message": 'Method "PUT" not allowed.',
        "field": None,
    }
    assert bad_json.status_code == 400
    assert error_of(bad_json)["code"] == "parse_error"
    assert bad_id.status_code == 404


def test_throttled_key_gets_429_with_retry_after(shop_a, make_key):
    client = ApiClient("alpha", make_key(shop_a, ["catalog:read"]))
    other = ApiClient("alpha", make_key(shop_a, ["catalog:read"]))

    with override_settings(API_THROTTLE_RATE="3/minute"):
        statuses = [client.get("/api/v1/products/").status_code for _ in range(4)]
        limited = client.get("/api/v1/products/")
        other_key = other.get("/api/v1/products/")

    assert statuses == [200, 200, 200, 429]
    assert limited.status_code == 429
    assert 0 < int(limited["Retry-After"]) <= 60
    assert error_of(limited)["code"] == "rate_limited"
    assert other_key.status_code == 200


def test_money_is_a_string_with_currency_and_times_are_iso(shop_a, api_a):
    with tenant_context(shop_a):
        product = product_create(title="Cup", variants=[VariantInput(sku="CUP", price="7.5")])

    body = api_a.get(f"/api/v1/products/{product.pk}/").json()

    assert body["variants"][0]["price"] == "7.50"
    assert body["variants"][0]["currency"] == "EUR"
    assert body["created"].endswith("Z") or "+00:00" in body["created"]


def test_daily_task_forgets_records_older_than_a_day(shop_a, api_a):
    from datetime import timedelta

    from django.utils import timezone

    from shops.api.tasks import idempotency_expire

    api_a.post("/api/v1/products/", {"title": "Kept"}, headers={"Idempotency-Key": "fresh"})
    api_a.post("/api/v1/products/", {"title": "Gone"}, headers={"Idempotency-Key": "stale"})
    with tenant_context(shop_a):
        IdempotencyRecord.objects.filter(key="stale").update(
            created=timezone.now() - timedelta(hours=24, seconds=1)
        )
        removed = idempotency_expire.delay().get()
        left = list(IdempotencyRecord.objects.values_list("key", flat=True))

    assert removed == 1
    assert left == ["fresh"]


def test_server_error_is_an_error_object_and_frees_the_idempotency_key(shop_a, make_key):
    client = ApiClient("alpha", make_key(shop_a))
    client.client.raise_request_exception = False

    with override_settings(ROOT_URLCONF="tests.api.urls_failing"):
        listed = client.get("/api/v1/mismatched/")
        created = client.post("/api/v1/mismatched/", {}, headers={"Idempotency-Key": "boom"})

    assert listed.status_code == created.status_code == 500
    assert error_of(listed)["code"] == "server_error"
    with tenant_context(shop_a):
        assert not IdempotencyRecord.objects.filter(key="boom").exists()


def test_unreadable_multipart_with_an_idempotency_key_is_400(api_a):
    response = api_a.client.post(
        "/api/v1/products/",
        b"title=x",
        content_type="multipart/form-data",  # no boundary
        headers={**api_a.headers, "Idempotency-Key": "k-multipart"},
    )

    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


@pytest.mark.parametrize(("path", "body"), POST_ENDPOINTS)
def test_every_post_replays_its_first_answer_byte_for_byte_and_refuses_another_body(
    api_a, objects, path, body
):
    path = path.format(**objects)

    first = api_a.post(path, body, headers={"Idempotency-Key": "every-post"})
    again = api_a.post(path, body, headers={"Idempotency-Key": "every-post"})
    other = api_a.post(path, {"note": "another body"}, headers={"Idempotency-Key": "every-post"})

    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again["Idempotent-Replayed"] == "true"
    assert again["Content-Type"] == first["Content-Type"] == "application/json"
    assert other.status_code == 409
    assert error_of(other)["code"] == "idempotency_key_reused"


@pytest.mark.parametrize(("path", "body"), POST_ENDPOINTS)
def test_every_post_refuses_a_bad_body_even_where_it_reads_none(
    api_a, objects, settings, path, body
):
    path = path.format(**objects)
    post = api_a.client.post

    malformed = post(path, "{not json", content_type="application/json", headers=api_a.headers)
    as_text = post(path, "note=x", content_type="text/plain", headers=api_a.headers)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    too_large = api_a.post(path, {"note": "x" * 200})

    assert (malformed.status_code, error_of(malformed)["code"]) == (400, "parse_error")
    assert (as_text.status_code, error_of(as_text)["code"]) == (415, "unsupported_media_type")
    assert error_of(as_text)["message"] == 'Unsupported media type "text/plain" in request.'
    assert (too_large.status_code, error_of(too_large)["code"]) == (413, "request_too_large")
