"""Rate limits of the API: 429 with Retry-After.

Counted by ``shops.ratelimits`` (an atomic counter per fixed window in the shared cache,
whose keys are per shop), not by DRF's SimpleRateThrottle, whose read-modify-write of a
list of timestamps lets concurrent requests on several processes through uncounted.

- partner API: per key (or staff session), ``API_THROTTLE_RATE``;
- shopper endpoints: per client address (buy-now, the posts' beacon), or per shopper
  and network (votes and new shopper tokens, ``reviews.shoppers.rate_limit_hit``).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from reviews.shoppers import Shopper, shopper_at_address
from reviews.shoppers import rate_limit_hit as shopper_rate_limit_hit
from shops.api.models import ApiKey
from shops.ratelimits import client_ip, rate_limit_hit


class ApiKeyRateThrottle(BaseThrottle):
    """``API_THROTTLE_RATE`` requests per key (or staff session) and window."""

    retry_after: int | None = None

    def allow_request(self, request: Request, view: object) -> bool:
        who = self.who(request)
        if who is None:
            return True
        # read per request, so tests may override it
        self.retry_after = rate_limit_hit(scope="api", who=who, rate=settings.API_THROTTLE_RATE)
        return self.retry_after is None

    def wait(self) -> int | None:
        return self.retry_after

    @staticmethod
    def who(request: Request) -> str | None:
        if isinstance(request.auth, ApiKey):
            # the prefix, not the id: ids restart in a recreated database, prefixes do not
            return f"key:{request.auth.prefix}"
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return None


class ClientAddressThrottle(BaseThrottle):
    """The view's ``rate_scope``, ``settings.<rate_setting>`` times per client address
    and shop and window (``"off"`` for no limit)."""

    message = "Too many requests; try again in {seconds} seconds."
    retry_after: int | None = None

    def allow_request(self, request: Request, view: object) -> bool:
        self.retry_after = rate_limit_hit(
            scope=view.rate_scope,
            who=client_ip(request._request),
            rate=getattr(settings, view.rate_setting),  # read per request: tests override it
        )
        return self.retry_after is None

    def wait(self) -> int | None:
        return self.retry_after


class ShopperActionThrottle(BaseThrottle):
    """The view's ``shopper_action`` (``REVIEWS_RATE_LIMITS``) per shopper and per
    network: the shopper ``ShopperTokenAuthentication`` found, else the address."""

    message = "Too many attempts; try again in {seconds} seconds."
    retry_after: int | None = None

    def allow_request(self, request: Request, view: object) -> bool:
        shopper = request.auth
        if not isinstance(shopper, Shopper):
            shopper = shopper_at_address(request._request)
        self.retry_after = shopper_rate_limit_hit(action=view.shopper_action, shopper=shopper)
        return self.retry_after is None

    def wait(self) -> int | None:
        return self.retry_after
