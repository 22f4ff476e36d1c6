"""Who calls the API.

- Partners: ``Authorization: Bearer <key>``; the key is looked up in the shop's own
  schema, so a key from another shop is simply unknown here (401).
- Shoppers: anonymous, known (where a view needs it) by their shopper token in
  ``X-Shopper-Token`` or else by their address (``reviews.shoppers``).
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from reviews.shoppers import BadToken, Shopper, shopper_with_token
from shops.api.models import ApiKey
from shops.api.services import api_key_for_secret, api_key_mark_used
from shops.audit.actors import Actor


def api_actor(auth: object) -> Actor | None:
    """The audit log's actor for a request authenticated by an API key, else None."""
    if not isinstance(auth, ApiKey):
        return None
    return Actor(kind=Actor.API_KEY, id=auth.pk, label=f"API key “{auth.name}” ({auth.prefix}…)")


def _authorization_words(request: Request) -> list[str]:
    """The words of the Authorization header. DRF encodes it as latin-1 (HTTP's header
    charset), which fails on other characters (a key pasted with typographic quotes or
    dashes): that is the client's mistake, a 401, not a 500."""
    try:
        return authentication.get_authorization_header(request).decode("latin-1").split()
    except UnicodeError:
        raise exceptions.AuthenticationFailed(
            "The Authorization header holds characters HTTP headers cannot carry: send "
            "“Authorization: Bearer <key>” with the key exactly as issued (letters, digits, "
            "“_” and “-”).",
            code="invalid_authorization",
        ) from None


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[ApiKey, ApiKey] | None:
        header = _authorization_words(request)
        if not header or header[0].lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the key as “Authorization: Bearer <key>”.", code="invalid_authorization"
            )
        if getattr(request, "shop", None) is None:
            raise exceptions.AuthenticationFailed(
                "API keys work on their shop's address only.", code="invalid_api_key"
            )
        api_key = api_key_for_secret(secret=header[1])
        if api_key is None:
            raise exceptions.AuthenticationFailed(
                "This API key is not valid for this shop: check the key and that you call "
                "the address of the shop that issued it.",
                code="invalid_api_key",
            )
        if api_key.is_revoked:
            raise exceptions.AuthenticationFailed(
                "This API key was revoked.", code="api_key_revoked"
            )
        if api_key.is_expired:
            raise exceptions.AuthenticationFailed(
                "This API key has expired.", code="api_key_expired"
            )
        api_key_mark_used(api_key=api_key)
        return api_key, api_key

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


SHOPPER_TOKEN_HEADER = "X-Shopper-Token"  # noqa: S105 (a header name)


class ShopperTokenAuthentication(authentication.BaseAuthentication):
    """The shopper as ``request.auth`` (a ``reviews.shoppers.Shopper``; the user stays
    anonymous): its token from ``X-Shopper-Token``, or its address without one. A
    tampered token, or one of another shop, is a 400 naming the header."""

    def authenticate(self, request: Request) -> tuple[AnonymousUser, Shopper]:
        try:
            token = request.headers.get(SHOPPER_TOKEN_HEADER, "")
            shopper = shopper_with_token(request._request, token=token)
        except BadToken as error:
            detail = exceptions.ErrorDetail(str(error), code="invalid_shopper_token")
            raise exceptions.ValidationError({SHOPPER_TOKEN_HEADER: [detail]}) from None
        return AnonymousUser(), shopper
