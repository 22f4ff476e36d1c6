"""What the fake platforms' OAuth 2.0 logins share: the consent page (Allow / Cancel,
redirecting back with ``code`` and ``state``, or ``error=access_denied``), the codes
(single use, short-lived, bound to the redirect URI and the PKCE S256 challenge), the
access tokens (with a lifetime, expired or revoked), the refresh tokens, revocation.

Follows RFC 6749 §4.1 (authorization code grant: ``error=access_denied`` on refusal,
``state`` sent back as it came) and §5.2 (token errors ``invalid_grant`` for a used,
expired or unknown code or a revoked refresh token, ``invalid_client`` for a wrong app
secret), and RFC 7636 (PKCE S256).
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import threading
import time
from urllib.parse import urlencode

from tests.channels.fake_http import JsonHandler


class Grants:
    """The login's codes and tokens, in memory. ``access_seconds``: the lifetime of the
    access tokens issued next (tests make them short to see a refresh)."""

    def __init__(self, *, client_id: str, client_secret: str, access_seconds: int) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.access_seconds = access_seconds
        self.code_seconds = 600
        self.lock = threading.Lock()
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, float] = {}  # access token → expires at (time.time())
        self.refresh_tokens: set[str] = set()
        self.revoked: list[str] = []  # every token revoked, in order
        self.consents: list[str] = []  # "allow" / "cancel", in order
        self.redeemed: list[dict] = []  # what each token call was given (for tests)
        self.token_delay = 0.0  # seconds the token endpoint waits before it answers

    def code_issue(self, *, redirect_uri: str, challenge: str) -> str:
        code = "code-" + secrets.token_urlsafe(12)
        with self.lock:
            self.codes[code] = {
                "redirect_uri": redirect_uri,
                "challenge": challenge,
                "expires": time.time() + self.code_seconds,
                "used": False,
            }
        return code

    def code_redeem(self, *, code: str, redirect_uri: str, verifier: str) -> str:
        """ "" when the code is good (then used up), else why not: "unknown", "used",
        "expired", "redirect_uri", "code_verifier"."""
        with self.lock:
            grant = self.codes.get(code)
            if grant is None:
                return "unknown"
            if grant["used"]:
                return "used"
            grant["used"] = True
            if grant["expires"] < time.time():
                return "expired"
            if grant["redirect_uri"] != redirect_uri:
                return "redirect_uri"
            if grant["challenge"]:
                digest = hashlib.sha256(verifier.encode()).digest()
                if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["challenge"]:
                    return "code_verifier"
        return ""

    def token_issue(self, prefix: str) -> tuple[str, int]:
        token = f"{prefix}-" + secrets.token_urlsafe(12)
        with self.lock:
            self.tokens[token] = time.time() + self.access_seconds
        return token, self.access_seconds

    def refresh_issue(self) -> str:
        token = "refresh-" + secrets.token_urlsafe(12)
        with self.lock:
            self.refresh_tokens.add(token)
        return token

    def token_state(self, token: str) -> str:
        """ "ok", "expired" or "unknown" (never issued, or revoked)."""
        with self.lock:
            expires = self.tokens.get(token)
        if expires is None:
            return "unknown"
        return "ok" if expires > time.time() else "expired"

    def revoke(self, token: str) -> bool:
        """Forget the token, and with a refresh token every token (the whole grant)."""
        with self.lock:
            known = token in self.tokens or token in self.refresh_tokens
            self.tokens.pop(token, None)
            if token in self.refresh_tokens:
                self.refresh_tokens.discard(token)
                self.tokens.clear()
            self.revoked.append(token)
        return known

    def revoke_all(self) -> None:
        """The person removed the app on the platform: every token stops working."""
        with self.lock:
            self.tokens.clear()
            self.refresh_tokens.clear()


class ConsentHandler(JsonHandler):
    """A handler that can show the consent page and redirect."""

    def _redirect(self, url: str) -> None:
        self.send_response(302)
        self.send_header("Location", url)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _html(self, status: int, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _consent(self, *, platform: str, decide_path: str, query: dict[str, str]) -> None:
        """The page: what the app asks, Allow and Cancel (each a GET to ``decide_path``
        carrying the request's parameters)."""
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
            for name, value in query.items()
        )
        self._html(
            200,
            f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in with {platform}</title></head>
<body style="font-family: sans-serif; max-width: 30rem; margin: 2rem auto; padding: 0 1rem">
<h1>{platform}</h1><p>Etalage (fake) wants to manage your catalogs.</p>
<form method="get" action="{decide_path}">{hidden}
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="cancel">Cancel</button></form></body></html>""",
        )

    def _decide(self, grants: Grants, query: dict[str, str], *, cancel_extra: dict) -> None:
        """Allow → back with a code; Cancel → back with error=access_denied."""
        decision = query.get("decision", "")
        grants.consents.append(decision)
        back = query.get("redirect_uri", "")
        state = {"state": query["state"]} if "state" in query else {}
        if decision == "allow":
            code = grants.code_issue(redirect_uri=back, challenge=query.get("code_challenge", ""))
            self._redirect(f"{back}?{urlencode({'code': code, **state})}")
        else:
            self._redirect(
                f"{back}?{urlencode({'error': 'access_denied', **cancel_extra, **state})}"
            )
