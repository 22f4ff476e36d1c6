"""Roles in the admin, beyond each page's own permission checks: a read-only account's
POST is refused wherever it is sent (an admin action, a custom page), and a page a role
may not open answers 403 with a sentence saying why instead of Django's bare one."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from shops.accounts.roles import OWNER_ONLY_MESSAGE, READ_ONLY_MESSAGE, Role

ADMIN_PREFIX = "/admin/"
# what a read-only account may still POST: signing out, its own password
READ_ONLY_MAY_POST = ("/admin/logout/", "/admin/password_change/", "/admin/login/")


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    context = {**admin.site.each_context(request), "title": "Not allowed", "message": message}
    response = TemplateResponse(request, "admin/role_refused.html", context, status=403)
    return response.render()


class StaffRoleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method not in ("GET", "HEAD", "OPTIONS")
            and request.path.startswith(ADMIN_PREFIX)
            and getattr(request, "shop", None) is not None
            and not request.path.startswith(READ_ONLY_MAY_POST)
            and getattr(request.user, "is_authenticated", False)
            and getattr(request.user, "role", None) == Role.READ_ONLY
        ):
            return _refused(request, READ_ONLY_MESSAGE)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not (
            isinstance(exception, PermissionDenied)
            and request.path.startswith(ADMIN_PREFIX)
            and getattr(request, "shop", None) is not None
            and getattr(request.user, "is_staff", False)
        ):
            return None
        role = getattr(request.user, "role", None)
        message = READ_ONLY_MESSAGE if role == Role.READ_ONLY else OWNER_ONLY_MESSAGE
        return _refused(request, message)
