"""The admin's requests act as their signed-in staff account."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from shops.audit.actors import actor_reset, actor_set, staff_actor

ADMIN_PREFIX = "/admin/"


class AuditActorMiddleware:
    """Every request starts with no actor and ends by forgetting it (a thread serves
    many requests); an admin request acts as its staff account. (The API sets its own
    actor once it has authenticated the caller: ``shops.api.base``.) Only admin paths
    read ``request.user``, so the shop's pages never pay a session lookup for it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        actor = None
        if (
            request.path.startswith(ADMIN_PREFIX)
            and getattr(request, "shop", None) is not None
            and hasattr(request, "user")
        ):
            actor = staff_actor(request.user)
        token = actor_set(actor)
        try:
            return self.get_response(request)
        finally:
            actor_reset(token)
