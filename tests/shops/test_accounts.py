"""Staff accounts: passwords are always hashed, whatever they look like."""

from django_tenants.utils import tenant_context

from shops.accounts.models import User


def test_a_password_that_looks_like_a_hash_is_still_hashed(shop_a):
    with tenant_context(shop_a):
        user = User.objects.create_user(email="Odd@Example.com", password="pbkdf2_sha256$x$y$z")

        assert user.email == "odd@example.com"
        assert user.password != "pbkdf2_sha256$x$y$z"
        assert user.check_password("pbkdf2_sha256$x$y$z")
