"""The shopper endpoints (buy-now, the posts' beacon, shopper tokens and votes) are part
of the one API: in its OpenAPI schema under the "Shopper" tag, anonymous (no key), and
a bad input answers the API's one error shape, as the partner resources do."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from tests.api.conftest import a_poll
from tests.reviews.helpers import approved_review, make_product

SHOPPER_OPERATIONS = {
    ("post", "/api/v1/bag/check/"),
    ("post", "/api/v1/checkout/quote/"),
    ("post", "/api/v1/buy-now/"),
    ("get", "/api/v1/buy-now/{public_id}/"),
    ("post", "/api/v1/buy-now/{public_id}/pay/"),
    ("post", "/api/v1/post-events/"),
    ("post", "/api/v1/shopper-token/"),
    ("post", "/api/v1/reviews/{review_id}/vote/"),
    ("post", "/api/v1/polls/{poll_id}/vote/"),
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}


def shopper() -> Client:
    return Client(HTTP_HOST="alpha.localhost", enforce_csrf_checks=True)


def schema_document() -> dict:
    response = shopper().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def one_error_shape(response) -> dict:
    """The API's error object of ``response``, checked to have the one shape."""
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert {"code", "message", "field"} <= set(error) <= {"code", "message", "field", "errors"}
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    if response.status_code == 400:  # every problem listed, the first one repeated on top
        assert {"code": error["code"], "message": error["message"], "field": error["field"]} == (
            error["errors"][0]
        )
    return error


def test_the_shopper_endpoints_are_in_the_schema_under_their_tag(shop_a):
    document = schema_document()

    tagged = {
        (method, path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "Shopper" in operation["tags"]
    }

    assert tagged == SHOPPER_OPERATIONS
    for method, path in SHOPPER_OPERATIONS:
        operation = document["paths"][path][method]
        assert operation["tags"] == ["Shopper"]
        assert {} in operation["security"]  # anonymous
        assert not any("apiKey" in requirement for requirement in operation["security"])
        for status, response in operation["responses"].items():
            if status >= "400":  # every error is the one Error object
                assert response["content"] == {"application/json": {"schema": ERROR_REF}}
    for path in ("/api/v1/reviews/{review_id}/vote/", "/api/v1/polls/{poll_id}/vote/"):
        assert {"shopperToken": []} in document["paths"][path]["post"]["security"]
    assert document["components"]["securitySchemes"]["shopperToken"]["name"] == "X-Shopper-Token"


def test_the_schema_describes_buy_now_as_the_page_calls_it(shop_a):
    paths = schema_document()["paths"]

    buy_now = paths["/api/v1/buy-now/"]["post"]
    status = paths["/api/v1/buy-now/{public_id}/"]["get"]
    beacon = paths["/api/v1/post-events/"]["post"]

    assert buy_now["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BuyNowInputRequest"
    }
    assert buy_now["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BuyNowAnswer"
    }
    assert {"400", "404", "409", "413", "415", "429", "500", "502", "503"} <= set(
        buy_now["responses"]
    )
    assert [parameter["name"] for parameter in buy_now["parameters"]] == ["Idempotency-Key"]
    assert "Retry-After" in buy_now["responses"]["429"]["headers"]
    assert {parameter["name"] for parameter in status["parameters"]} == {
        "public_id",
        "X-Client-Secret",
    }
    # the beacon reads text/plain too (navigator.sendBeacon), and takes no Idempotency-Key
    assert set(beacon["requestBody"]["content"]) == {"application/json", "text/plain"}
    assert "parameters" not in beacon
    assert "409" not in beacon["responses"]


@pytest.fixture
def shopper_objects(shop_a) -> dict:
    with tenant_context(shop_a):
        return {
            "review": approved_review(make_product(), body="Great").pk,
            "poll": a_poll().pk,
            "order": "0b0ab7c6-4ad8-4b7c-9e5e-6a3d3b1f2c11",
        }


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code", "field"),
    [
        (
            "post",
            "/api/v1/buy-now/",
            {"items": [{"variant_id": "7"}], "email": "a@example.com"},
            400,
            "unknown_variant",
            "items[0].variant_id",
        ),
        (
            "post",
            "/api/v1/buy-now/",
            {"items": [], "email": "a@example.com"},
            400,
            "no_items",
            "items",
        ),
        (
            "post",
            "/api/v1/buy-now/",
            {
                "items": [{"variant_id": 1}],
                "email": "a@example.com",
                "shipping_address": {"city": 7},
            },
            400,
            "invalid",
            "shipping_address.city",
        ),
        (
            "post",
            "/api/v1/buy-now/{order}/pay/",
            {"secret": "pi_x_secret_y"},
            400,
            "required",
            "token",
        ),
        ("get", "/api/v1/buy-now/{order}/", None, 404, "not_found", None),
        ("post", "/api/v1/post-events/", {"events": "many"}, 400, "invalid", "events"),
        ("post", "/api/v1/reviews/{review}/vote/", {"helpful": "yes"}, 400, "invalid", "helpful"),
        ("post", "/api/v1/polls/{poll}/vote/", {"option": "1"}, 400, "invalid", "option"),
        ("get", "/api/v1/shopper-token/", None, 405, "method_not_allowed", None),
    ],
)
def test_a_bad_shopper_request_answers_the_one_error_shape(
    shopper_objects, method, path, body, status, code, field
):
    path = path.format(**shopper_objects)

    if method == "get":
        response = shopper().get(path)
    else:
        response = shopper().post(path, body, content_type="application/json")

    assert response.status_code == status
    error = one_error_shape(response)
    assert (error["code"], error["field"]) == (code, field)


def test_a_shopper_and_a_partner_refusal_have_one_shape(shop_a, api_a):
    partner = api_a.post("/api/v1/products/", {"title": ""})
    shopper_answer = shopper().post(
        "/api/v1/buy-now/", {"items": [], "email": "a@example.com"}, content_type="application/json"
    )

    assert partner.status_code == shopper_answer.status_code == 400
    assert set(one_error_shape(partner)) == set(one_error_shape(shopper_answer))


def test_a_tampered_shopper_token_names_its_header(shopper_objects):
    response = shopper().post(
        f"/api/v1/reviews/{shopper_objects['review']}/vote/",
        {"helpful": True},
        content_type="application/json",
        headers={"X-Shopper-Token": "forged:token"},
    )

    assert response.status_code == 400
    assert one_error_shape(response)["field"] == "X-Shopper-Token"
