"""What every platform client shares: its results and its errors.

Each platform has one module here (``meta``, ``pinterest``, ``google``, ``tiktok``);
nothing else in the project speaks a platform's HTTP. Vendor errors are translated at
the boundary: ``RetryableError`` (network, timeout, 429, 5xx, an unreadable answer) may
succeed later and carries the wait the platform asked for; ``FinalError`` (bad
credentials, a refused request) will not, and carries a message for the merchant.
Per-item refusals are not errors: they come back as ``ItemResult`` with ``rejected``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


class ChannelError(Exception):
    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class RetryableError(ChannelError):
    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class FinalError(ChannelError):
    pass


class CredentialsError(FinalError):
    """The platform refused the credentials (shown on "Test connection")."""


@dataclass(frozen=True)
class ItemRequest:
    """One item to send: ``method`` "upsert" (``fields`` may be partial) or "delete".

    ``external`` is what the platform told us about the item last time (stored on the
    ``ChannelItem``): the ids and uploaded images of a platform that assigns its own.
    """

    retailer_id: str
    method: Literal["upsert", "delete"]
    fields: dict = field(default_factory=dict)
    external: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ItemResult:
    """``external``: what to store for the item's next request (None keeps what was sent)."""

    retailer_id: str
    outcome: Literal["accepted", "warning", "rejected"]
    message: str = ""
    external: dict | None = None


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds (the header's delta-seconds form; a date is not trusted)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
