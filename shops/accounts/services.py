"""One-time links for staff: the sign-in link after signup, and password reset tokens."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.db import connection

from shops.accounts.models import User

_SALT = "etalage.accounts.welcome-login"
WELCOME_LINK_MAX_AGE = 120  # seconds


def welcome_token_make(*, user: User) -> str:
    """A signed token for ``user`` in the current shop, dead once used (last_login moves on)."""
    return signing.dumps(
        {
            "user": user.pk,
            "schema": connection.schema_name,
            "last_login": user.last_login.isoformat() if user.last_login else "",
        },
        salt=_SALT,
    )


def welcome_token_user(*, token: str) -> User | None:
    """The user a fresh, unused token from this shop names, else None."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=WELCOME_LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    if data.get("schema") != connection.schema_name:
        return None
    user = User.objects.filter(pk=data.get("user"), is_active=True).first()
    if user is None:
        return None
    last_login = user.last_login.isoformat() if user.last_login else ""
    return user if last_login == data.get("last_login") else None


class ShopPasswordResetTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset tokens, bound to the shop's schema: staff ids start at 1 in every
    shop, so without the schema a token could name another shop's account."""

    key_salt = "etalage.accounts.password-reset"

    def _make_hash_value(self, user: AbstractBaseUser, timestamp: int) -> str:
        return f"{connection.schema_name}:{super()._make_hash_value(user, timestamp)}"


password_reset_tokens = ShopPasswordResetTokenGenerator()
