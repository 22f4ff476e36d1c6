"""Meta's Graph API, as both Meta clients call it (the catalog batches, ``meta``; the
Instagram media, ``instagram``): one address and version (CHANNELS_META_API_BASE,
CHANNELS_META_API_VERSION), the access token in the Authorization header, one
translation of Graph errors, one cursor paging.

- Every call goes to ``{base}/{version}/{path}`` and answers a JSON object.
- Errors answer ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``,
  with a 4xx or 5xx status (now and then with 200). Codes 4, 17, 32 and 613 (the
  application's, user's, page's and custom limits) and 80001-80014 (business use case
  limits) are rate limits → ``RateLimited``; 1, 2 and 341 are temporary →
  ``RetryableError``, as are 429 and 5xx answers; 102 and 190 (an invalid or expired
  token), an OAuthException without a code, and 401/403 answers → ``CredentialsError``;
  anything else → ``FinalError``. Each carries Meta's ``code``.
- Lists answer ``{"data": [...], "paging": {"cursors": {"before", "after"}, "next":
  url}}``; ``next`` is left out on the last page.

Sources: developers.facebook.com/docs/graph-api/guides/error-handling,
/docs/graph-api/overview/rate-limiting and /docs/graph-api/results (cursor paging).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from shops.channels.clients import (
    ChannelError,
    CredentialsError,
    FinalError,
    RateLimited,
    RetryableError,
)
from shops.channels.clients.http import request_json

RATE_LIMIT_CODES = {4, 17, 32, 613, *range(80001, 80015)}
TEMPORARY_CODES = {1, 2, 341}
TOKEN_CODES = {102, 190}


def graph_error(status: int, payload: dict, retry_after: float | None = None) -> ChannelError:
    """The project's error for a Graph API error answer (see the module doc)."""
    error = payload.get("error")
    error = error if isinstance(error, dict) else {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    message = error.get("message")
    message = message if isinstance(message, str) and message else f"HTTP {status}"
    if code in RATE_LIMIT_CODES or status == 429:
        return RateLimited(message, status=status, code=code, retry_after=retry_after)
    if code in TEMPORARY_CODES or status >= 500:
        return RetryableError(message, status=status, code=code, retry_after=retry_after)
    if (
        code in TOKEN_CODES
        or status in (401, 403)
        or (error.get("type") == "OAuthException" and code is None)
    ):
        return CredentialsError(message, status=status, code=code)
    return FinalError(message, status=status, code=code)


@dataclass(frozen=True)
class Page:
    """One page of a list: its entries, and the cursor of the next (None on the last)."""

    data: list[dict]
    after: str | None


class Graph:
    """Graph API calls with one access token."""

    def __init__(
        self, *, base_url: str, api_version: str, access_token: str, timeout: float
    ) -> None:
        self.root = f"{base_url.rstrip('/')}/{api_version.strip('/')}"
        if not self.root.startswith(("http://", "https://")):
            raise FinalError("The Graph API address must be http(s).")
        self.access_token = access_token
        self.timeout = timeout

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: dict | None = None,
    ) -> dict:
        """``method`` on ``path`` (below the version, its parts already quoted), the
        answer's JSON object; a Graph error (even with a 200) raised as the project's."""
        url = f"{self.root}/{path}" + (f"?{urlencode(params)}" if params else "")
        answer = request_json(
            method,
            url,
            body=body,
            timeout=self.timeout,
            translate_error=graph_error,
            headers={"Authorization": f"Bearer {self.access_token}"},
        )
        if not isinstance(answer, dict):
            raise RetryableError("The platform answered something that is not a JSON object.")
        if "error" in answer:
            raise graph_error(200, answer)
        return answer

    def page(
        self, path: str, params: dict[str, str], *, limit: int, after: str | None = None
    ) -> Page:
        """One page of the list at ``path``: ``limit`` entries from the cursor ``after``."""
        query = {**params, "limit": str(limit), **({"after": after} if after else {})}
        answer = self.request("GET", path, params=query)
        data = answer.get("data") if isinstance(answer.get("data"), list) else []
        paging = answer.get("paging") if isinstance(answer.get("paging"), dict) else {}
        cursors = paging.get("cursors") if isinstance(paging.get("cursors"), dict) else {}
        next_after = cursors.get("after") if paging.get("next") else None
        return Page(
            data=[entry for entry in data if isinstance(entry, dict)],
            after=next_after if isinstance(next_after, str) and next_after else None,
        )

    def first(self, path: str, params: dict[str, str], *, limit: int, page_size: int) -> list[dict]:
        """The list's first ``limit`` entries, ``page_size`` per call at most, following
        the pages' cursors."""
        entries: list[dict] = []
        after = None
        while len(entries) < limit:
            page = self.page(path, params, limit=min(page_size, limit - len(entries)), after=after)
            entries.extend(page.data)
            if page.after is None or not page.data:
                break
            after = page.after
        return entries[:limit]
