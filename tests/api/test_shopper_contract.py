"""Contract test of what shoppers send, anonymously (no key, as a browser does).

The shopper JSON endpoints (buy-now and its pay step and status, the checkout quote,
the bag check, the posts' beacon, poll and review votes, the shopper token) are in the
API's OpenAPI schema, tagged Shopper: schemathesis sends them generated bodies without
any key, on real ids; no answer may be a 5xx and each must match the schema (the error
answers' ``{"error": {code, message, field}}`` included).

The shopper's HTML form and page endpoints (the embed, search, the checkout link,
review submission, the review vote form, the poll page) are no JSON API, so they stay
out of the published schema: SHOPPER_PAGES below describes them for this test only, and
schemathesis checks that none answers a 5xx and each answers a documented status with
a documented content type."""

from __future__ import annotations

import pytest
import schemathesis
from django_tenants.utils import tenant_context
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from catalog.models import Product
from reviews.models import Poll, Review
from tests.api.conftest import make_key  # noqa: F401 (fixture)
from tests.api.test_contract import (  # noqa: F401 (fixtures)
    app,
    contract_key,
    schema,
    wsgi_keeps_test_connection,
)
from tests.orders.conftest import selling_a  # noqa: F401 (fixture)

BUDGET = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
SHOPPER = {"base_url": "http://alpha.localhost", "headers": {"Accept-Encoding": "identity"}}
HTML = {"text/html": {"schema": {"type": "string"}}}
TEXT = {"text/plain": {"schema": {"type": "string"}}}  # a NUL in the query (400)
TEXT_FIELD = {"type": "string", "maxLength": 400}


def _query(*names: str) -> list[dict]:
    return [{"name": n, "in": "query", "required": False, "schema": TEXT_FIELD} for n in names]


def _answers(*statuses: str) -> dict:
    answers = {status: {"description": status, "content": HTML} for status in statuses}
    answers["400"] = {"description": "Bad input", "content": {**HTML, **TEXT}}
    return answers


def _form(properties: dict, required: list[str]) -> dict:
    return {
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "properties": properties, "required": required}
            }
        }
    }


REVIEW_FORM = {
    "rating": {"type": "string", "enum": ["1", "2", "3", "4", "5", "0", "six"]},
    "title": TEXT_FIELD,
    "body": {"type": "string", "maxLength": 6000},
    "display_name": TEXT_FIELD,
    "email": TEXT_FIELD,
    "embed": {"type": "string", "enum": ["1", ""]},
}
SHOPPER_PAGES = schemathesis.openapi.from_dict(
    {
        "openapi": "3.0.3",
        "info": {"title": "Shopper pages (test only)", "version": "1"},
        "paths": {
            "/embed/": {
                "get": {
                    "parameters": _query("product", "section", "page", "bag"),
                    "responses": _answers("200", "404"),
                }
            },
            "/search/": {"get": {"parameters": _query("q", "page"), "responses": _answers("200")}},
            "/checkout/": {
                "get": {
                    "parameters": _query("products", "coupon", "utm_source", "utm_campaign"),
                    "responses": _answers("200", "404"),
                }
            },
            "/products/{slug}/reviews/": {
                "post": {
                    "parameters": [
                        {"name": "slug", "in": "path", "required": True, "schema": TEXT_FIELD}
                    ],
                    "requestBody": _form(REVIEW_FORM, ["rating", "body"]),
                    "responses": _answers("303", "404", "429"),
                }
            },
            "/reviews/{review_id}/vote/": {
                "post": {
                    "parameters": [
                        {
                            "name": "review_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    ],
                    "requestBody": _form({"helpful": {"type": "string"}, "next": TEXT_FIELD}, []),
                    "responses": _answers("303", "403", "404", "429"),
                }
            },
            "/polls/{poll_id}/": {
                "get": {
                    "parameters": [
                        {
                            "name": "poll_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    ],
                    "responses": _answers("200", "404"),
                },
                "post": {
                    "parameters": [
                        {
                            "name": "poll_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    ],
                    "requestBody": _form(
                        {"option": TEXT_FIELD, "notify_email": TEXT_FIELD, "email": TEXT_FIELD},
                        [],
                    ),
                    "responses": _answers("200", "303", "404", "409", "429"),
                },
            },
        },
    }
)
SHOPPER_PAGES.app = app


def _real_ids(case, shop) -> None:
    """Point the case's path at this shop's objects: a generated id is a 404, which
    would leave the body untested."""
    with tenant_context(shop):
        real = {
            "review_id": Review.objects.order_by("id").values_list("id", flat=True).first(),
            "poll_id": Poll.objects.order_by("id").values_list("id", flat=True).first(),
            "slug": Product.objects.order_by("id").values_list("slug", flat=True).first(),
        }
    for name in case.path_parameters or {}:
        if real.get(name) is not None:
            case.path_parameters[name] = real[name]


@pytest.fixture
def shopper_data(contract_key, shop_a, settings):  # noqa: F811 (the fixture imported above)
    """The contract test's shop (a product, a review, a poll, a zone, a code), with the
    shoppers' rate limits off so that every case reaches the endpoint."""
    settings.REVIEWS_RATE_LIMITS = {
        kind: {"shopper": "off", "network": "off"} for kind in settings.REVIEWS_RATE_LIMITS
    }
    settings.ORDERS_RATE_BAG_CHECK = settings.ORDERS_RATE_CHECKOUT_QUOTE = "off"
    return shop_a


def call_and_check(case, shop, checks: list) -> None:
    """Send ``case`` as an anonymous shopper, on this shop's objects, and run ``checks``."""
    _real_ids(case, shop)
    response = case.call(**SHOPPER)
    case.validate_response(response, transport_kwargs=SHOPPER, checks=checks)


@schema.include(tag="Shopper").parametrize()
@BUDGET
def test_the_shopper_api_answers_anonymous_shoppers_as_documented(case, shopper_data):
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,  # the error answers' shape included
    ]
    call_and_check(case, shopper_data, checks)


@SHOPPER_PAGES.parametrize()
@BUDGET
def test_the_shopper_pages_never_answer_a_5xx(case, shopper_data):
    checks = [not_a_server_error, status_code_conformance, content_type_conformance]
    call_and_check(case, shopper_data, checks)
