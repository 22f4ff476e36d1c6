"""Per-key rate limit of the partner API: 429 with Retry-After.

Counted by ``shops.ratelimits`` (an atomic counter per fixed window in the shared cache,
whose keys are per shop), not by DRF's SimpleRateThrottle, whose read-modify-write of a
list of timestamps lets concurrent requests on several processes through uncounted.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from shops.api.models import ApiKey
from shops.ratelimits import rate_limit_hit


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
