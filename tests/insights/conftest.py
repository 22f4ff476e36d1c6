"""Helpers of the insights tests: beacons as a browser sends them, the raw events table."""

from __future__ import annotations

import json

from django.db import connection
from django.test import Client

from tests.orders.conftest import selling_a  # noqa: F401 (a fixture: a shop that sells)

PHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
DESKTOP_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"


def beacon(
    events: list | object,
    *,
    slug: str = "alpha",
    ip: str = "198.51.100.7",
    user_agent: str = PHONE_UA,
    referrer: str = "",
    url: str = "",
    embed: str = "",
    raw: bytes | None = None,
):
    """What navigator.sendBeacon sends: a text/plain JSON body, no cookie."""
    body: dict = {"events": events}
    if referrer:
        body["referrer"] = referrer
    if url:
        body["url"] = url
    if embed:
        body["embed"] = embed
    return Client(
        HTTP_HOST=f"{slug}.localhost",
        enforce_csrf_checks=True,
        REMOTE_ADDR=ip,
        HTTP_USER_AGENT=user_agent,
    ).post(
        "/insights/events/",
        data=raw if raw is not None else json.dumps(body),
        content_type="text/plain;charset=UTF-8",
    )


def raw_events() -> list[dict]:
    """Every row of the current shop's raw events table, as dicts."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM insights_event ORDER BY occurred_at, kind")
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
