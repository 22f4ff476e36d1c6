"""The shop's URLs plus a bare view at /bench-ok/ that answers "ok" through the same
middleware (the shop found by its host), for bench/shop_page.py."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls_tenants import urlpatterns as shop_urlpatterns


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench-ok/", ok), *shop_urlpatterns]
