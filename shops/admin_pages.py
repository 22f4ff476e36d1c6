"""Pages shared by the shop admin's model admins."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.http import HttpRequest
from django.template.response import TemplateResponse


def secret_shown_once(
    request: HttpRequest,
    *,
    admin_site: AdminSite,
    title: str,
    what: str,
    secret: str,
    note: str,
    back_url: str,
) -> TemplateResponse:
    """The page that shows a new secret (an API key, a webhook signing secret) once.

    The secret goes in this response only: never in a message (a cookie) nor a log.
    """
    context = {
        **admin_site.each_context(request),
        "title": title,
        "what": what,
        "secret": secret,
        "note": note,
        "back_url": back_url,
    }
    return TemplateResponse(request, "admin/secret_shown_once.html", context)
