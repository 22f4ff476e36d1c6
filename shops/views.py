"""Platform pages (public schema): home and signup."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods
from django_tenants.utils import tenant_context

from shops.accounts.services import welcome_token_make
from shops.forms import SignupForm
from shops.selectors import shop_url
from shops.services import shop_create


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "shops/home.html")


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
