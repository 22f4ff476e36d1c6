"""Provisional copy of the OAuth connect interface (oauth-a's framework replaces this
file on merge): the tokens a platform grants and the destinations it offers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str = ""
    expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    scope: str = ""
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Destination:
    id: str
    name: str
    detail: str = ""


class OAuthProvider(Protocol):
    channel: str

    def is_configured(self) -> bool: ...

    def authorize_url(self, *, state: str, redirect_uri: str, code_challenge: str) -> str: ...

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str) -> TokenSet: ...

    def refresh(self, tokens: TokenSet) -> TokenSet: ...

    def revoke(self, tokens: TokenSet) -> None: ...

    def destinations(self, tokens: TokenSet) -> list[Destination]: ...

    def destination_create(self, tokens: TokenSet, name: str) -> Destination | None: ...
