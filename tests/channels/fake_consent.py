"""What the fake platforms' login pages share: a small consent page (the platform's
"Allow" / "Cancel" screen, as a person sees it in the browser), a redirect back to the
shop, and the one-time authorization codes and tokens they issue."""

from __future__ import annotations

import html
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from tests.channels.fake_http import JsonHandler


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


def consent_page(platform: str, app: str, scopes: str, allow: str, cancel: str) -> bytes:
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
</body></html>""".encode()


class ConsentHandler(JsonHandler):
    def _html(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, url: str, query: dict[str, str]) -> None:
        separator = "&" if "?" in url else "?"
        self.send_response(302)
        self.send_header("Location", f"{url}{separator}{urlencode(query)}")
        self.send_header("Content-Length", "0")
        self.end_headers()
