"""The one HTTP call the platform clients make, with an explicit timeout and the
translation of transport failures and status codes into RetryableError / FinalError."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from shops.channels.clients import (
    ChannelError,
    CredentialsError,
    FinalError,
    RetryableError,
    retry_after_seconds,
)
from shops.http import BodyTooLarge, DeadlineExceeded, OutboundError, http_request

MAX_ANSWER_BYTES = 64 * 1024 * 1024  # far above any platform's answer


def request_json(
    method: str,
    url: str,
    *,
    body: Any = None,
    raw_body: bytes | None = None,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
    timeout: float,
    error_message=lambda payload: "",
    is_credentials_error=lambda payload: False,
    is_rate_limited=lambda payload: False,
    translate_error: Callable[[int, dict, float | None], ChannelError] | None = None,
    empty_ok: bool = False,
) -> Any:
    """Send ``body`` as JSON (or ``raw_body`` as it is, of ``content_type``) and return
    the decoded JSON answer.

    401/403 → CredentialsError; 429 and 5xx → RetryableError (with Retry-After);
    other 4xx → FinalError; a timeout, a refused connection or an answer that is not
    JSON → RetryableError. ``translate_error(status, payload, retry_after)``, when
    given, makes the error of a 4xx/5xx answer instead (``payload``: its JSON object,
    or {}). ``empty_ok``: an empty 2xx answer is ``{}`` (a revoke endpoint's).
    """
    data = (
        raw_body
        if raw_body is not None
        else (json.dumps(body).encode() if body is not None else None)
    )
    sent_headers = {"Accept": "application/json", **(headers or {})}
    if data is not None:
        sent_headers["Content-Type"] = content_type
    try:
        # the platform's address comes from the settings, not from a user: no address
        # guard (tests run the platforms on loopback)
        response = http_request(
            method,
            url,
            body=data,
            headers=sent_headers,
            timeout=timeout,
            max_bytes=MAX_ANSWER_BYTES,
            allow_private=True,
        )
    except BodyTooLarge as error:
        raise RetryableError(f"The platform's answer is too large (HTTP {error.status}).") from None
    except DeadlineExceeded:
        raise RetryableError(f"No answer within {timeout:g} s.") from None
    except OutboundError as error:
        raise RetryableError(f"Could not reach the platform ({error}).") from None
    status, raw = response.status, response.body
    if not 200 <= status < 300:
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            payload = {}
        message = (error_message(payload) if isinstance(payload, dict) else "") or (
            f"HTTP {status}"
        )
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        is_dict = isinstance(payload, dict)
        if translate_error is not None:
            raise translate_error(status, payload if is_dict else {}, retry_after)
        if status == 429 or status >= 500 or (is_dict and is_rate_limited(payload)):
            raise RetryableError(message, status=status, retry_after=retry_after)
        if status in (401, 403) or (is_dict and is_credentials_error(payload)):
            raise CredentialsError(message, status=status)
        raise FinalError(message, status=status)
    if empty_ok and not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise RetryableError("The platform answered something that is not JSON.") from None
