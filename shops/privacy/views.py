"""The shopper's "My data" pages on the shop's host: ask for a link, then from the link
the summary, the downloads (JSON, a zip of CSVs) and the erasure with its confirmation.
Thin: the work is in ``shops.privacy.services``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from shops.privacy import services
from shops.privacy.forms import EmailForm, ErasureForm
from shops.ratelimits import address_rate_hit, email_rate_allowed, too_many_requests_page
from shops.selectors import current_shop, shop_url

RATE_SCOPE = "my-data"


def _render(request: HttpRequest, template: str, status: int = 200, **context) -> HttpResponse:
    response = render(request, template, {"shop": current_shop(), **context}, status=status)
    response["X-Robots-Tag"] = "noindex"
    # the link's token never leaves the shop in a Referer (and same-origin forms keep
    # their Origin, which CSRF checks)
    response["Referrer-Policy"] = "same-origin"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def my_data_ask(request: HttpRequest) -> HttpResponse:
    """``/my-data/``: the shopper's email → "check your inbox", the same answer whether or
    not the shop knows it; the link is emailed by the worker. Limited per client address
    (a 429 page) and per email (the same answer, nothing sent)."""
    form = EmailForm(request.POST or None)
    if request.method == "POST":
        retry_after = address_rate_hit(request, scope=RATE_SCOPE)
        if retry_after is not None:
            return too_many_requests_page(request, retry_after)
        if form.is_valid():
            email = form.cleaned_data["email"]
            if email_rate_allowed(scope=RATE_SCOPE, email=email):
                services.privacy_link_request(
                    email=email, shop_address=shop_url(current_shop(), request)
                )
            return _render(request, "privacy/ask.html", form=EmailForm(), sent_to=email)
        return _render(request, "privacy/ask.html", status=400, form=form)
    return _render(request, "privacy/ask.html", form=form)


def _link_or_error(request: HttpRequest, token: str) -> tuple[str | None, HttpResponse | None]:
    try:
        return services.privacy_link_email(token), None
    except services.PrivacyLinkError as error:
        response = _render(
            request, "privacy/ask.html", status=410, form=EmailForm(), link_error=str(error)
        )
        return None, response


@never_cache
@require_GET
def my_data_summary(request: HttpRequest, token: str) -> HttpResponse:
    """``/my-data/<token>/``: what the shop holds, the downloads and the way to erasure."""
    email, error = _link_or_error(request, token)
    if error:
        return error
    summary = services.data_summary(email)
    return _render(
        request,
        "privacy/summary.html",
        email=email,
        token=token,
        summary=summary,
        holds_anything=any(summary.values()),
        analytics_note=services.ANALYTICS_NOTE,
        votes_note=services.REVIEW_VOTES_NOTE,
    )


def export_response(export: dict, *, file_format: str) -> HttpResponse:
    """The export as a download: ``json`` or ``zip`` (CSV files)."""
    name = f"my-data-{export['shop']}".replace(" ", "-").lower()
    name = "".join(char for char in name if char.isalnum() or char == "-")[:60]
    if file_format == "json":
        body, content_type = services.data_export_json(export), "application/json"
    else:
        body, content_type = services.data_export_zip(export), "application/zip"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_GET
def my_data_download(request: HttpRequest, token: str, file_format: str) -> HttpResponse:
    """``/my-data/<token>/export.json`` and ``export.zip``: everything, logged."""
    email, error = _link_or_error(request, token)
    if error:
        return error
    export = services.data_request_export(email=email, requester=services.SHOPPER)
    return export_response(export, file_format=file_format)


@never_cache
@require_http_methods(["GET", "POST"])
def my_data_erase(request: HttpRequest, token: str) -> HttpResponse:
    """``/my-data/<token>/erase/``: GET the confirmation (what goes, what stays, the
    choice for reviews), POST with the box ticked erases, all or nothing."""
    email, error = _link_or_error(request, token)
    if error:
        return error
    form = ErasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = services.data_request_erase(
            email=email, requester=services.SHOPPER, reviews=form.cleaned_data["reviews"]
        )
        return _render(request, "privacy/erased.html", email=email, done=done)
    status = 400 if request.method == "POST" else 200
    return _render(
        request, "privacy/erase.html", status=status, email=email, token=token, form=form
    )
