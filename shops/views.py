"""Platform pages (public schema): home, signup, "find my shop" and the icon."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods
from django_tenants.utils import tenant_context

from shops.accounts.services import welcome_token_make
from shops.forms import FindShopForm, SignupForm
from shops.ratelimits import address_rate_hit, email_rate_allowed, too_many_requests_page
from shops.selectors import shop_url
from shops.services import shop_create, shop_links_email_send

DEFAULT_FAVICON = "favicon.ico"
FAVICON_MAX_AGE = 3600


@cache
def _default_favicon() -> bytes:
    path = finders.find(DEFAULT_FAVICON)
    if path is not None:
        return Path(path).read_bytes()
    with staticfiles_storage.open(DEFAULT_FAVICON) as file:  # collected, no source tree
        return file.read()


def icon_response(*, data: bytes | None = None, content_type: str = "") -> HttpResponse:
    """``/favicon.ico``: ``data`` of ``content_type`` (a shop's own icon), else
    Etalage's; browsers may keep it an hour."""
    if data is None:
        data, content_type = _default_favicon(), "image/x-icon"
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = f"public, max-age={FAVICON_MAX_AGE}"
    return response


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    return icon_response()


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "shops/home.html", {"form": FindShopForm()})


@require_http_methods(["GET", "POST"])
def find_shop(request: HttpRequest) -> HttpResponse:
    """ "Log in" / "Find my shop": email the merchant a link to each shop's admin. The
    answer is the same whether the address is staff anywhere (no account enumeration);
    each address gets at most ACCOUNTS_RATE_EMAIL emails, each client may ask
    ACCOUNTS_RATE_ADDRESS times."""
    if request.method == "GET":
        return render(request, "shops/find_shop.html", {"form": FindShopForm()})
    retry_after = address_rate_hit(request, scope="find-shop")
    if retry_after is not None:
        return too_many_requests_page(request, retry_after)
    form = FindShopForm(request.POST)
    if not form.is_valid():
        return render(request, "shops/find_shop.html", {"form": form}, status=400)
    email = form.cleaned_data["email"]
    if email_rate_allowed(scope="find-shop", email=email):
        shop_links_email_send(email=email, request=request)
    return render(request, "shops/find_shop.html", {"sent_to": email})


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    form.fields["slug"].help_text = form.fields["slug"].help_text.format(
        domain=settings.PLATFORM_DOMAIN
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = shop_create(
                slug=data["slug"],
                name=data["name"],
                owner_email=data["owner_email"],
                owner_password=data["password"],
                currency=data["currency"],
            )
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            with tenant_context(created.shop):
                token = welcome_token_make(user=created.owner)
            target = f"{shop_url(created.shop, request)}/welcome/?{urlencode({'token': token})}"
            return HttpResponseRedirect(target)
    status = 400 if request.method == "POST" else 200
    return render(request, "shops/signup.html", {"form": form}, status=status)
