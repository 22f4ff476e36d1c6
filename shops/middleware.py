"""Route each request by host: the platform, a shop (in its schema), or a friendly 404;
refuse an address whose query holds a NUL character."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import set_urlconf
from django_tenants.middleware.main import TenantMainMiddleware

from shops.selectors import platform_hosts, shop_for_host


class ShopMiddleware(TenantMainMiddleware):
    """Replaces django-tenants' middleware.

    The platform host is recognised without a query and served from the public schema.
    Any other host is looked up among the shops' domains (no query once the lookup is in
    the shared cache, see ``shop_for_host``); a known shop's
    requests run in its schema with the tenant URLs, an unknown host gets a 404 page
    that says so, and a suspended shop a 503 page.
    """

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        connection.set_schema_to_public()
        request.shop = None
        try:
            hostname = self.hostname_from_request(request)
        except DisallowedHost:
            return self._page(
                request, "shops/unknown_host.html", 404, host=request.META.get("HTTP_HOST", "")
            )

        if hostname in platform_hosts():
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
            set_urlconf(request.urlconf)
            return None

        shop = shop_for_host(host=hostname)
        if shop is None:
            return self._page(request, "shops/unknown_host.html", 404, host=hostname)
        shop.domain_url = hostname
        request.tenant = request.shop = shop
        if not shop.is_active:
            return self._page(request, "shops/unavailable.html", 503, host=hostname)
        connection.set_tenant(shop)
        return None

    @staticmethod
    def _page(request: HttpRequest, template: str, status: int, **context) -> HttpResponse:
        request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
        set_urlconf(request.urlconf)
        response = TemplateResponse(request, template, context, status=status)
        return response.render()


class NulQueryMiddleware:
    """A NUL character (``%00``) in a query parameter is answered 400, naming the
    parameter: PostgreSQL refuses NUL in text, so a filter such as the admin's
    ``?status__exact=%00`` raised DataError, a 500. No address of ours carries one, so
    the request is refused rather than cleaned: a changed filter would show the wrong
    rows. Form fields and JSON bodies are checked by their forms and serializers
    (Django's and DRF's CharField refuse NUL beside the field)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = next(
            (key for key, values in request.GET.lists() if "\x00" in key + "".join(values)),
            None,
        )
        if name is None:
            return self.get_response(request)
        shown = name.replace("\x00", "")
        message = (
            f"The address's “{shown}” parameter holds a NUL character "
            "(%00); remove it and try again."
        )
        if request.path.startswith("/api/"):
            body = {"error": {"code": "nul_character", "message": message, "field": shown}}
            return JsonResponse(body, status=400)
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
