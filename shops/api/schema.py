"""OpenAPI description of the API's conventions: the bearer key, the error object on
every operation, and the Idempotency-Key header on every partner POST. Shopper
operations (tag "Shopper": anonymous, no key) get the errors they can answer."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

SHOPPER_TAG = "Shopper"


class ApiAutoSchema(AutoSchema):
    pass


class ShopperAutoSchema(ApiAutoSchema):
    """Every shopper endpoint is under the "Shopper" tag (``add_conventions`` reads it)."""

    def get_tags(self) -> list[str]:
        return [SHOPPER_TAG]


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "shops.api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key of this shop, created in its admin: "
            "`Authorization: Bearer etl_…`. Keys of other shops are refused (401).",
        }


class ShopperTokenScheme(OpenApiAuthenticationExtension):
    target_class = "shops.api.authentication.ShopperTokenAuthentication"
    name = "shopperToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Shopper-Token",
            "description": "Optional: the shopper's token, from shopper-token/ or an earlier "
            "vote's answer; without one the shopper is their address. A tampered token, or "
            "another shop's, is a 400.",
        }


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "field"],
            "properties": {
                "code": {"type": "string", "description": "Stable, machine-readable."},
                "message": {"type": "string", "description": "For people; may change."},
                "field": {
                    "type": "string",
                    "nullable": True,
                    "description": "The input field at fault, e.g. variants[0].price.",
                },
                "errors": {
                    "type": "array",
                    "description": "Every validation error (400 only).",
                    "items": {
                        "type": "object",
                        "properties": {
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                            "field": {"type": "string", "nullable": True},
                        },
                    },
                },
            },
        }
    },
}
ERROR_RESPONSES = {
    "400": "The request is invalid; `field` names the input at fault.",
    "401": "No API key, or one that is unknown on this shop's host, revoked or expired.",
    "403": "The key lacks the scope this operation needs.",
    "404": "No such object in this shop.",
    "405": "The method is not allowed here.",
    "406": "The Accept header asks for a format the API does not serve.",
    "415": "The request body's content type is not accepted here.",
    "429": "Too many requests for this key; retry after `Retry-After` seconds.",
    "500": "Something failed on our side (logged); retry later, with the same Idempotency-Key "
    "for a POST.",
}
SHOPPER_ERROR_RESPONSES = {
    "400": "The request is invalid; `field` names the input at fault.",
    "404": "No such object in this shop.",
    "405": "The method is not allowed here.",
    "415": "The request body's content type is not accepted here.",
    "429": "Too many requests from this address (or shopper); retry after `Retry-After` seconds.",
    "500": "Something failed on our side (logged); retry later.",
}
BODY_ERROR_RESPONSES = {  # methods that take a body
    "413": "The request body is larger than the server accepts (DATA_UPLOAD_MAX_MEMORY_SIZE).",
}
POST_ERROR_RESPONSES = {
    "409": "The Idempotency-Key was used with another request, or that request is still running.",
}
IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any unique string (a UUID). Sent again with the same body within 24 "
    "hours, the first response is replayed (header `Idempotent-Replayed: true`); with "
    "another body, 409.",
    "schema": {"type": "string", "maxLength": 255},
}


def add_conventions(result: dict, generator, request, public: bool) -> dict:
    """Postprocessing hook: error responses and Idempotency-Key on every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            responses = operation.setdefault("responses", {})
            is_shopper = SHOPPER_TAG in operation.get("tags", [])
            errors = dict(SHOPPER_ERROR_RESPONSES if is_shopper else ERROR_RESPONSES)
            if method in ("post", "put", "patch"):
                errors.update(BODY_ERROR_RESPONSES)
            if method == "post" and not is_shopper:  # buy-now declares its own key
                errors.update(POST_ERROR_RESPONSES)
                operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
            for code, description in errors.items():
                responses.setdefault(code, {"description": description, "content": error_ref})
            for code, response in responses.items():  # an operation's own error statuses
                if code >= "400" and "content" not in response:
                    response["content"] = error_ref
            if "429" in responses:
                responses["429"]["headers"] = {
                    "Retry-After": {
                        "schema": {"type": "integer"},
                        "description": "Seconds to wait.",
                    }
                }
    return result
