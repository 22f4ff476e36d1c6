from django.http import HttpRequest

from shops.selectors import platform_url


def platform(request: HttpRequest) -> dict:
    return {"platform_url": platform_url(request), "shop": getattr(request, "shop", None)}
