"""API keys: bearer authentication on the key's own shop only, revocation, expiry,
scopes per endpoint, the admin session, and the base viewset's guard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import QuerySet
from django.utils import timezone
from django_tenants.utils import tenant_context

from catalog.models import Product
from catalog.services import VariantInput, product_create
from shops.api.base import ApiViewSet
from shops.api.models import ApiKey
from shops.api.services import api_key_create, api_key_revoke, secret_hash
from tests.api.conftest import ENDPOINTS, ApiClient, error_of
from tests.conftest import SHOP_PASSWORD


def test_key_is_stored_hashed_with_a_visible_prefix(shop_a):
    with tenant_context(shop_a):
        created = api_key_create(name="ERP", scopes=["catalog:read"])
        stored = ApiKey.objects.get(pk=created.api_key.pk)

    assert created.secret.startswith("etl_") and len(created.secret) >= 40
    assert stored.secret_hash == secret_hash(created.secret) != created.secret
    assert stored.prefix == created.secret[:12]


def test_key_reads_its_own_shop(shop_a, make_key):
    client = ApiClient("alpha", make_key(shop_a, ["catalog:read"]))

    response = client.get("/api/v1/products/")

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_key_of_shop_a_on_shop_b_host_is_401(shop_a, shop_b, make_key):
    with tenant_context(shop_b):
        product_create(title="Beta secret", variants=[VariantInput(sku="B-1", price="5")])
    client = ApiClient("beta", make_key(shop_a))

    response = client.get("/api/v1/products/")

    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_api_key"
    assert "shop" in error_of(response)["message"]
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer etl_nonsense", "Bearer a b"])
def test_missing_or_bad_key_is_401(shop_a, header):
    client = ApiClient("alpha", None)

    response = client.get("/api/v1/products/", headers={"Authorization": header} if header else {})

    assert response.status_code == 401
    assert error_of(response)["code"] in (
        "not_authenticated",
        "invalid_api_key",
        "invalid_authorization",
    )


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Bearer etl_\u201ckey\u201d", "invalid_authorization"),  # typographic quotes
        ("Bearer etl_\u2014\U0001f511", "invalid_authorization"),  # a dash, an emoji
        ("Bearer etl_caf\u00e9", "invalid_api_key"),  # latin-1: an unknown key
    ],
)
def test_a_key_with_characters_headers_cannot_carry_is_401_not_500(shop_a, make_key, header, code):
    client = ApiClient("alpha", None)

    response = client.post("/api/v1/products/", {"title": "Tee"}, headers={"Authorization": header})

    assert response.status_code == 401
    assert error_of(response)["code"] == code
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_revoked_key_is_401(shop_a, make_key):
    secret = make_key(shop_a)
    with tenant_context(shop_a):
        api_key_revoke(api_key=ApiKey.objects.get(secret_hash=secret_hash(secret)))

    response = ApiClient("alpha", secret).get("/api/v1/products/")

    assert response.status_code == 401
    assert error_of(response)["code"] == "api_key_revoked"


def test_expired_key_is_401(shop_a, make_key):
    secret = make_key(shop_a, expires_at=timezone.now() + timedelta(seconds=30))
    with tenant_context(shop_a):
        ApiKey.objects.filter(secret_hash=secret_hash(secret)).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )

    response = ApiClient("alpha", secret).get("/api/v1/products/")

    assert response.status_code == 401
    assert error_of(response)["code"] == "api_key_expired"


def test_use_is_recorded(shop_a, make_key):
    secret = make_key(shop_a, ["catalog:read"])

    ApiClient("alpha", secret).get("/api/v1/products/")

    with tenant_context(shop_a):
        assert ApiKey.objects.get(secret_hash=secret_hash(secret)).last_used_at is not None


def test_every_endpoint_of_the_schema_has_a_scope_test():
    import re

    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    documented = {  # operations a key opens (an anonymous one, like buy-now, has its own tests)
        (method, re.sub(r"\{[^}]+\}", "{}", path))
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if any("apiKey" in requirement for requirement in operation.get("security", []))
    }
    tested = {
        (method, re.sub(r"\{[^}]+\}|(?<=/)\d+(?=/)", "{}", path.split("?")[0]))
        for method, path, _body, _scope in ENDPOINTS
    }

    assert documented == tested


@pytest.mark.parametrize(("method", "path", "body", "scope"), ENDPOINTS)
def test_each_endpoint_needs_its_scope(shop_a, make_key, objects, method, path, body, scope):
    path = path.format(**objects)
    others = [s for s in ApiKey._meta.get_field("scopes").base_field.choices if s[0] != scope]
    without = ApiClient("alpha", make_key(shop_a, [name for name, _label in others]))
    with_scope = ApiClient("alpha", make_key(shop_a, [scope]))

    refused = getattr(without, method)(path, body)
    allowed = getattr(with_scope, method)(path, body)

    assert refused.status_code == 403
    assert error_of(refused) == {
        "code": "missing_scope",
        "message": f"This request needs the {scope} scope.",
        "field": None,
    }
    assert allowed.status_code not in (401, 403)


def test_admin_session_works_with_csrf(shop_a):
    from django.test import Client

    client = Client(HTTP_HOST="alpha.localhost")
    client.post("/admin/login/", {"username": "owner@alpha.test", "password": SHOP_PASSWORD})
    assert client.get("/admin/").status_code == 200
    client.handler.enforce_csrf_checks = True

    listed = client.get("/api/v1/products/", headers={"Accept": "text/html"})
    without_csrf = client.post(
        "/api/v1/products/", {"title": "From the browser"}, content_type="application/json"
    )

    assert listed.status_code == 200 and b"Products" in listed.content
    assert without_csrf.status_code == 403
    assert error_of(without_csrf)["code"] == "permission_denied"
    assert "CSRF" in error_of(without_csrf)["message"]


def test_admin_session_of_shop_a_does_not_work_on_shop_b(shop_a):
    from django.test import Client

    client = Client(HTTP_HOST="alpha.localhost")
    client.post("/admin/login/", {"username": "owner@alpha.test", "password": SHOP_PASSWORD})

    response = client.get("/api/v1/products/", HTTP_HOST="beta.localhost")

    assert response.status_code == 401


def test_base_viewset_refuses_an_overridden_get_queryset():
    with pytest.raises(TypeError, match="overrides get_queryset"):

        class Sneaky(ApiViewSet):
            model = Product

            def get_queryset(self) -> QuerySet:
                return Product.objects.all()


def test_base_viewset_refuses_a_class_level_queryset():
    with pytest.raises(TypeError, match="sets queryset"):

        class Sneaky(ApiViewSet):
            model = Product
            queryset = Product.objects.all()


def test_scoped_queryset_of_another_model_is_refused(shop_a, rf):
    from django.db import connection

    from catalog.models import Variant

    class Mixed(ApiViewSet):
        model = Product
        read_scope = write_scope = "catalog:read"

        def scoped_queryset(self) -> QuerySet:
            return Variant.objects.all()

    request = rf.get("/api/v1/x/")
    request.shop = shop_a
    connection.set_tenant(shop_a)
    view = Mixed()
    view.request = request

    with pytest.raises(TypeError, match="must return a Product queryset"):
        view.get_queryset()


def test_admin_creates_a_key_shows_it_once_and_revokes_it(shop_a):
    from django.test import Client

    client = Client(HTTP_HOST="alpha.localhost")
    client.post("/admin/login/", {"username": "owner@alpha.test", "password": SHOP_PASSWORD})

    page = client.post(
        "/admin/api/apikey/add/", {"name": "PIM", "scopes": ["catalog:read", "catalog:write"]}
    )
    secret = page.context["secret"]
    listing = client.get("/admin/api/apikey/")
    works = ApiClient("alpha", secret).get("/api/v1/products/")
    with tenant_context(shop_a):
        key = ApiKey.objects.get(name="PIM")
    revoked = client.post("/admin/api/apikey/", {"action": "revoke", "_selected_action": [key.pk]})
    refused = ApiClient("alpha", secret).get("/api/v1/products/")

    assert page.status_code == 200 and secret in page.content.decode()
    assert secret not in listing.content.decode() and key.prefix in listing.content.decode()
    assert key.scopes == ["catalog:read", "catalog:write"]
    assert works.status_code == 200
    assert revoked.status_code == 302
    assert refused.status_code == 401


def test_browsable_api_and_options_answer_on_every_read_endpoint(shop_a, objects):
    from django.test import Client

    client = Client(HTTP_HOST="alpha.localhost")
    client.post("/admin/login/", {"username": "owner@alpha.test", "password": SHOP_PASSWORD})
    paths = sorted(
        {path.format(**objects) for method, path, _b, _s in ENDPOINTS if method == "get"}
    )

    pages = {path: client.get(path, headers={"Accept": "text/html"}) for path in paths}
    options = {path: client.options(path) for path in paths}

    assert {path: page.status_code for path, page in pages.items()} == dict.fromkeys(paths, 200)
    assert all(b"<html" in page.content for page in pages.values())
    assert {path: answer.status_code for path, answer in options.items()} == dict.fromkeys(
        paths, 200
    )
