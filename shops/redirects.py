"""Where a redirect taken from the request (a form's ``next``) may go: only to a path of
the shop being visited. Browsers read ``/\\host`` and ``/<TAB>/host`` as ``//host``, so
besides Django's host check, backslashes and control characters are refused outright."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def local_redirect_target(
    *, candidate: str | None, request: HttpRequest, default: str = "/"
) -> str:
    """``candidate`` when it is a path on this shop's own host, else ``default``."""
    if not candidate or not candidate.startswith("/") or candidate.startswith("//"):
        return default
    if any(char == "\\" or unicodedata.category(char).startswith("C") for char in candidate):
        return default
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return default
    is_allowed = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if is_allowed else default
