"""Per-key rate limit in the cache (whose keys are per shop): 429 with Retry-After."""

from __future__ import annotations

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from shops.api.models import ApiKey


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self) -> str:
        return settings.API_THROTTLE_RATE  # read per request, so tests may override it

    def get_cache_key(self, request: Request, view) -> str | None:
        if isinstance(request.auth, ApiKey):
            # the prefix, not the id: ids restart in a recreated database, prefixes do not
            return f"api-throttle:key:{request.auth.prefix}"
        if request.user and request.user.is_authenticated:
            return f"api-throttle:user:{request.user.pk}"
        return None
