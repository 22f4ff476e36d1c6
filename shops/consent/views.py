"""The consent pages on the shop's host, reached from signed links in emails.

Neither acts on GET (mail scanners open links before the shopper does): the page shows a
button. The unsubscribe link also takes RFC 8058's one-click POST (body
``List-Unsubscribe=One-Click``) from the mail client, without cookie, CSRF token or
login: the signed link is the authority, so CSRF does not apply."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from shops.consent.links import UNSUBSCRIBE, ConsentLinkError, consent_token_email
from shops.consent.services import ConsentError, consent_confirm, consent_withdraw


def _private(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "private, no-store"
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """``/email/confirm/<token>/``: the double opt-in link; a button confirms (POST)."""
    if request.method == "POST":
        try:
            consent_confirm(token)
        except ConsentError as error:
            return _private(
                render(request, "consent/confirm.html", {"error": str(error)}, status=404)
            )
        return _private(render(request, "consent/confirm.html", {"confirmed": True}))
    try:
        consent_token_email(token, purpose="confirm")
    except ConsentLinkError as error:
        return _private(render(request, "consent/confirm.html", {"error": str(error)}, status=404))
    return _private(render(request, "consent/confirm.html", {}))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """``/email/unsubscribe/<token>/``: GET shows the button; POST (the button, or a mail
    client's one-click ``List-Unsubscribe=One-Click``) withdraws at once, 200 every
    time (idempotent)."""
    try:
        email = consent_token_email(token, purpose=UNSUBSCRIBE)
    except ConsentLinkError as error:
        context = {"error": str(error)}
        return _private(render(request, "consent/unsubscribe.html", context, status=404))
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        consent_withdraw(email=email, via="one-click" if one_click else "unsubscribe page")
        return _private(render(request, "consent/unsubscribe.html", {"unsubscribed": True}))
    return _private(render(request, "consent/unsubscribe.html", {}))
