"""The owner's "Shop settings" page in the admin: the currency the shop sells in (while
it has no orders) and its custom domains, with the DNS record each one needs. Writes go
through ``orders.services.currency`` and ``shops.services``."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from orders.models import Order
from orders.services.currency import shop_currency_change
from shops.currencies import CURRENCY_CHOICES
from shops.models import Domain
from shops.selectors import current_shop
from shops.services import domain_add, domain_remove


class CurrencyForm(forms.Form):
    currency = forms.ChoiceField(label="Sell in", choices=CURRENCY_CHOICES)


class DomainForm(forms.Form):
    domain = forms.CharField(
        label="Your domain",
        max_length=253,
        help_text="A name you own, like shop.example.com; add its DNS record first (see above).",
    )


def _owner_only(request: HttpRequest) -> None:
    if not getattr(request.user, "is_owner", False):
        raise PermissionDenied


def _page(request: HttpRequest, **forms_given: forms.Form) -> TemplateResponse:
    shop = current_shop()
    platform_host = f"{shop.slug}.{settings.PLATFORM_DOMAIN}"
    context = {
        **admin.site.each_context(request),
        "title": "Shop settings",
        "shop": shop,
        "has_orders": Order.objects.exists(),
        "currency_form": forms_given.get("currency_form")
        or CurrencyForm(initial={"currency": shop.currency}),
        "domain_form": forms_given.get("domain_form") or DomainForm(),
        "platform_host": platform_host,
        "domains": [
            domain
            for domain in Domain.objects.filter(tenant=shop).order_by("domain")
            if domain.domain != platform_host
        ],
    }
    status = 400 if any(form.errors for form in forms_given.values()) else 200
    return TemplateResponse(request, "admin/shop_settings.html", context, status=status)


@require_http_methods(["GET", "POST"])
def shop_settings_view(request: HttpRequest) -> HttpResponse:
    """GET: the page. POST with ``currency`` or ``domain``: change one, back to the page."""
    _owner_only(request)
    if request.method == "GET":
        return _page(request)
    shop = current_shop()
    if "currency" in request.POST:
        form = CurrencyForm(request.POST)
        if form.is_valid():
            try:
                shop_currency_change(shop=shop, currency=form.cleaned_data["currency"])
            except ValidationError as exc:
                form.add_error("currency", exc.message_dict.get("currency", exc.messages))
            else:
                messages.success(request, f"Your shop now sells in {shop.currency}.")
                return HttpResponseRedirect(reverse("shop-settings"))
        return _page(request, currency_form=form)
    form = DomainForm(request.POST)
    if form.is_valid():
        try:
            added = domain_add(shop=shop, domain=form.cleaned_data["domain"])
        except ValidationError as exc:
            form.add_error("domain", exc.message_dict.get("domain", exc.messages))
        else:
            messages.success(
                request,
                f"Added {added.domain}: it reaches your shop once its DNS record points here.",
            )
            return HttpResponseRedirect(reverse("shop-settings"))
    return _page(request, domain_form=form)


@require_POST
def domain_remove_view(request: HttpRequest, domain_id: int) -> HttpResponse:
    _owner_only(request)
    domain = get_object_or_404(Domain, pk=domain_id, tenant=current_shop())
    try:
        domain_remove(domain=domain)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Removed {domain.domain}: it no longer reaches your shop.")
    return HttpResponseRedirect(reverse("shop-settings"))
