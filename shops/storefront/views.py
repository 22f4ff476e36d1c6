from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.static import serve


def shop_page(request: HttpRequest) -> HttpResponse:
    """The shop page; the storefront issue replaces this placeholder with designed sections."""
    return render(request, "storefront/shop_page.html")


def media(request: HttpRequest, path: str) -> HttpResponse:
    """Development only: serve this shop's media folder, and no other shop's."""
    prefix = f"{connection.schema_name}/"
    if not path.startswith(prefix):
        raise Http404("Not this shop's file")
    return serve(request, path, document_root=Path(settings.MEDIA_ROOT))
