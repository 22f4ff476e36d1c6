"""The beacon: ``POST /insights/events/`` on the shop's host, sent by
``static/insights/insights.js`` with ``navigator.sendBeacon`` (a ``text/plain`` JSON
body, no cookie). It answers 204 at once after one INSERT; 400 with a sentence for a
body it does not accept (over 8 KB, not JSON, nested, unknown kinds or fields), 405 for
another method, 429 over ``INSIGHTS_BEACON_RATE`` per client address."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from shops.insights.services import BeaconInvalid, beacon_events_record
from shops.insights.services.events import MAX_BATCH_BYTES, MAX_DEPTH
from shops.json_input import JsonUnreadable, json_depth_check, json_input
from shops.ratelimits import client_ip, rate_limit_hit


def _bad(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"detail": message}, status=status)


@csrf_exempt  # no cookie is read or set: a cross-site post can only add a page view
@require_POST
def beacon(request: HttpRequest) -> HttpResponse:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BATCH_BYTES:
        return _bad(f"A beacon is at most {MAX_BATCH_BYTES} bytes.", 413)
    retry_after = rate_limit_hit(
        scope="insights_beacon", who=client_ip(request), rate=settings.INSIGHTS_BEACON_RATE
    )
    if retry_after is not None:
        response = _bad("Too many beacons from this address; nothing was recorded.", 429)
        response["Retry-After"] = str(retry_after)
        return response
    body = request.read(MAX_BATCH_BYTES + 1)
    if len(body) > MAX_BATCH_BYTES:
        return _bad(f"A beacon is at most {MAX_BATCH_BYTES} bytes.", 413)
    try:
        data = json_input(body, max_depth=MAX_DEPTH)
        json_depth_check(data, max_depth=MAX_DEPTH)
        beacon_events_record(
            data=data,
            address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            own_host=request.get_host().split(":")[0].lower(),
        )
    except (JsonUnreadable, BeaconInvalid) as error:
        return _bad(str(error))
    return HttpResponse(status=204)
