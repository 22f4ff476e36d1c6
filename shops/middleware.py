"""Route each request by host: the platform, a shop (in its schema), or a friendly 404."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import connection
from django.http import HttpRequest, HttpResponse
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
