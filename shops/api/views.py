"""Answers of the API outside any resource."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from shops.api.errors import error_body


@csrf_exempt
def not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """404 in the API's error shape for any path under /api/v1/ that names no endpoint."""
    return JsonResponse(
        error_body(code="not_found", message=f"No API endpoint at {request.path}."), status=404
    )
