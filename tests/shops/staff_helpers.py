"""Staff accounts of a role in a shop, and test clients signed in as them."""

from __future__ import annotations

from django.test import Client
from django_tenants.utils import tenant_context

from shops.accounts.models import User
from shops.accounts.roles import Role
from shops.models import Shop
from tests.factories import SHOP_PASSWORD


def staff_make(shop: Shop, role: str, email: str | None = None) -> User:
    """A staff account of ``role`` in ``shop`` (password SHOP_PASSWORD)."""
    email = email or f"{role.replace('_', '-')}@{shop.slug}.test"
    with tenant_context(shop):
        return User.objects.create_user(
            email,
            SHOP_PASSWORD,
            is_staff=True,
            is_superuser=role == Role.OWNER,
            role=role,
        )


def client_as(shop: Shop, user: User) -> Client:
    client = Client(HTTP_HOST=f"{shop.slug}.localhost")
    signed_in = client.post("/admin/login/", {"username": user.email, "password": SHOP_PASSWORD})
    assert signed_in.status_code == 302, signed_in.content[:400]
    return client
