"""Scopes: an API key may do what its scopes allow; a staff session may do everything."""

from __future__ import annotations

from rest_framework import exceptions, permissions
from rest_framework.request import Request

from shops.api.models import ApiKey


def request_scopes_allow(request: Request, scope: str) -> bool:
    if isinstance(request.auth, ApiKey):
        return scope in request.auth.scopes
    user = request.user
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


class HasScope(permissions.BasePermission):
    """Needs ``view.required_scope()`` (the read scope for safe methods, else the write one)."""

    def has_permission(self, request: Request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            raise exceptions.NotAuthenticated(
                "Send an API key as “Authorization: Bearer <key>”, or sign in to the admin."
            )
        scope = view.required_scope()
        if not request_scopes_allow(request, scope):
            raise exceptions.PermissionDenied(
                f"This request needs the {scope} scope.", code="missing_scope"
            )
        return True
