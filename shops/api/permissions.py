"""Scopes: an API key may do what its scopes allow; a staff session what its role allows
(a read-only account reads only, the owner's settings are the owner's)."""

from __future__ import annotations

from rest_framework import exceptions, permissions
from rest_framework.request import Request

from shops.accounts.roles import Role, role_may_write
from shops.api.models import ApiKey

OWNER_SCOPES = ("webhooks:",)  # webhook subscriptions are the owner's (secrets, partners)


def request_scopes_allow(request: Request, scope: str) -> bool:
    if isinstance(request.auth, ApiKey):
        return scope in request.auth.scopes
    user = request.user
    if not (user and user.is_authenticated and user.is_active and user.is_staff):
        return False
    if scope.startswith(OWNER_SCOPES):
        return user.role == Role.OWNER
    return scope.endswith(":read") or role_may_write(user.role)


def _refusal(request: Request, scope: str) -> str:
    """Why the caller may not: a read-only key or account is told it is read-only."""
    writes = not scope.endswith(":read")
    if isinstance(request.auth, ApiKey):
        if writes and request.auth.is_read_only:
            return (
                f"This API key is read-only: it may read but not change anything. This "
                f"request needs the {scope} scope; ask the shop's owner for a key with it."
            )
        return f"This request needs the {scope} scope."
    if writes and getattr(request.user, "role", None) == Role.READ_ONLY:
        return f"Your staff account is read-only: it may not send this request ({scope})."
    return f"Your staff role does not allow this request ({scope}); ask the shop's owner."


class HasScope(permissions.BasePermission):
    """Needs ``view.required_scope()`` (the read scope for safe methods, else the write one)."""

    def has_permission(self, request: Request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            raise exceptions.NotAuthenticated(
                "Send an API key as “Authorization: Bearer <key>”, or sign in to the admin."
            )
        scope = view.required_scope()
        if not request_scopes_allow(request, scope):
            raise exceptions.PermissionDenied(_refusal(request, scope), code="missing_scope")
        return True
