"""What the fake Pinterest and TikTok Shop logins share (besides ``fake_oauth``'s
handler): their consent page, whose "Allow" / "Cancel" are links a person clicks, the
redirect back, and the one-time codes and the tokens they issue (TikTok's token calls
are not RFC 6749's, so ``fake_oauth.Grants`` does not fit them)."""

from __future__ import annotations

import html
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode


@dataclass
class Grant:
    """One authorization: its code (single use, ``code_ttl`` seconds), then its tokens."""

    code: str
    redirect_uri: str
    issued: float = field(default_factory=time.time)
    used: bool = False


class Tokens:
    """The codes, access tokens and refresh tokens a fake issued; ``expire(token)`` makes
    an access token answer as expired, ``expire_refresh(token)`` a refresh token."""

    def __init__(self, prefix: str, *, code_ttl: float = 600) -> None:
        self.prefix = prefix
        self.code_ttl = code_ttl
        self.grants: dict[str, Grant] = {}
        self.access: set[str] = set()
        self.expired: set[str] = set()
        self.refresh: set[str] = set()
        self.refresh_expired: set[str] = set()
        self.exchanges = 0
        self.refreshes = 0

    def code_issue(self, redirect_uri: str) -> str:
        code = f"{self.prefix}c_{secrets.token_urlsafe(12)}"
        self.grants[code] = Grant(code, redirect_uri)
        return code

    def code_take(self, code: str, redirect_uri: str | None) -> bool:
        """Whether the code is known, unused, fresh and (when given) for this redirect."""
        grant = self.grants.get(code)
        if grant is None or grant.used or time.time() - grant.issued > self.code_ttl:
            return False
        if redirect_uri is not None and redirect_uri != grant.redirect_uri:
            return False
        grant.used = True
        return True

    def pair_issue(self) -> tuple[str, str]:
        access = f"{self.prefix}a_{secrets.token_urlsafe(12)}"
        refresh = f"{self.prefix}r_{secrets.token_urlsafe(12)}"
        self.access.add(access)
        self.refresh.add(refresh)
        return access, refresh

    def expire(self, token: str) -> None:
        self.expired.add(token)

    def expire_refresh(self, token: str) -> None:
        self.refresh_expired.add(token)


def consent_page(platform: str, app: str, scopes: str, allow: str, cancel: str) -> str:
    """The platform's consent screen: two links a person clicks (``allow`` / ``cancel``)."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(platform)}: allow access?</title>
<style>body{{font:16px sans-serif;margin:0 auto;max-width:28rem;padding:1.5rem;color:#111}}
a{{display:inline-block;margin:.5rem .5rem 0 0;padding:.7rem 1.2rem;border-radius:6px;
text-decoration:none;border:1px solid #333;color:#111}} a.allow{{background:#b00020;color:#fff;
border-color:#b00020}}</style></head>
<body><h1>{html.escape(platform)}</h1>
<p><strong>{html.escape(app)}</strong> would like to access your account.</p>
<p>It asks for: {html.escape(scopes)}</p>
<a class="allow" href="{html.escape(allow)}">Allow</a>
<a class="cancel" href="{html.escape(cancel)}">Cancel</a>
</body></html>"""


def back_to(url: str, query: dict[str, str]) -> str:
    """The redirect URI with the platform's answer added to its query."""
    return f"{url}{'&' if '?' in url else '?'}{urlencode(query)}"
