"""The one HTTP call the platform clients make, with an explicit timeout and the
translation of transport failures and status codes into RetryableError / FinalError."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from shops.channels.clients import (
    ChannelError,
    CredentialsError,
    FinalError,
    RetryableError,
    retry_after_seconds,
)
from shops.http import deadline_open


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
) -> Any:
    """Send ``body`` as JSON (or ``raw_body`` as it is, of ``content_type``) and return
    the decoded JSON answer.

    401/403 → CredentialsError; 429 and 5xx → RetryableError (with Retry-After);
    other 4xx → FinalError; a timeout, a refused connection or an answer that is not
    JSON → RetryableError. ``translate_error(status, payload, retry_after)``, when
    given, makes the error of a 4xx/5xx answer instead (``payload``: its JSON object,
    or {}).
    """
    data = (
        raw_body
        if raw_body is not None
        else (json.dumps(body).encode() if body is not None else None)
    )
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (http(s) only)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", content_type)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with deadline_open(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            payload = {}
        message = (error_message(payload) if isinstance(payload, dict) else "") or (
            f"HTTP {error.code}"
        )
        retry_after = retry_after_seconds(error.headers.get("Retry-After"))
        is_dict = isinstance(payload, dict)
        if translate_error is not None:
            raise translate_error(error.code, payload if is_dict else {}, retry_after) from None
        if error.code == 429 or error.code >= 500 or (is_dict and is_rate_limited(payload)):
            raise RetryableError(message, status=error.code, retry_after=retry_after) from None
        if error.code in (401, 403) or (is_dict and is_credentials_error(payload)):
            raise CredentialsError(message, status=error.code) from None
        raise FinalError(message, status=error.code) from None
    except TimeoutError:
        raise RetryableError(f"No answer within {timeout:g} s.") from None
    except (urllib.error.URLError, ConnectionError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise RetryableError(f"Could not reach the platform ({reason}).") from None
    try:
        return json.loads(raw)
    except ValueError:
        raise RetryableError("The platform answered something that is not JSON.") from None
