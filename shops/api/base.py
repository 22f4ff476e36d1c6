"""The base of every view under ``/api/v1/``: one exception handler (one error shape,
``shops.api.errors``), the shop's schema checked, the body parsed (and refused: 400, 413,
415) before the handler runs. Two kinds of view stand on it:

Partner resources subclass ``ApiViewSet`` (or ``ApiView``):

- authentication by API key or admin session, the scope check per action (``read_scope``
  for safe methods, ``write_scope`` otherwise, ``action_scopes`` for exceptions), the
  per-key throttle and ``Idempotency-Key`` on every POST;
- ``get_queryset`` is final: subclasses implement ``scoped_queryset()``, and the result
  is checked to be a query of the viewset's ``model`` run in the requesting shop's
  schema. Defining ``get_queryset`` or a class-level ``queryset`` in a subclass raises
  ``TypeError`` when the class is created, so the check cannot be skipped quietly.

Shopper endpoints (buy-now, the posts' beacon, votes) subclass ``ShopperView``: anonymous,
JSON only, limited per client address or shopper (``shops.ratelimits``), see its
docstring.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar

from django.db import connection
from django.db.models import Model, QuerySet
from django.http import HttpResponseBase
from django.http.multipartparser import MultiPartParserError
from django.template.response import SimpleTemplateResponse
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from shops.api.authentication import ApiKeyAuthentication, api_actor
from shops.api.errors import Conflict, RateLimited, RequestTooLarge, exception_handler
from shops.api.idempotency import (
    IDEMPOTENCY_HEADER,
    IDEMPOTENCY_KEY_MAX_LENGTH,
    IdempotencyClaim,
    idempotency_claim,
    idempotency_release,
    idempotency_replay,
    idempotent_response,
)
from shops.api.models import ApiKey
from shops.api.pagination import ApiCursorPagination
from shops.api.parsers import LimitedJSONParser
from shops.api.permissions import HasScope
from shops.api.schema import ShopperAutoSchema
from shops.api.throttling import ApiKeyRateThrottle
from shops.audit.actors import actor_set, staff_actor


class _Replay(Exception):
    def __init__(self, response: HttpResponseBase) -> None:
        self.response = response


class ApiBaseMixin:
    """What every view under /api/v1/ shares: the error shape, the shop's schema, and a
    body read (or refused) before the handler runs."""

    parser_classes: ClassVar[list] = [LimitedJSONParser]  # an action taking uploads sets its own
    reads_body: ClassVar[bool] = True  # False: a body sent is ignored, never parsed

    def get_exception_handler(self):
        return exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authentication, permissions, throttles
        shop = getattr(request, "shop", None)
        if shop is None or connection.schema_name != shop.schema_name:
            raise RuntimeError("API views serve a shop's host, in that shop's schema")
        self.before_body(request)
        if request.method in ("POST", "PUT", "PATCH") and self.reads_body:
            # Parse now, so that a malformed (400), too large (413) or unsupported (415)
            # body is refused the same way by an action that reads no body (cancel, close).
            request.data  # noqa: B018

    def before_body(self, request: Request) -> None:
        """A step between the checks of the request and the reading of its body."""

    def validated_input(self, serializer_class: type[Serializer], *, partial: bool = False):
        """The request body checked by an input serializer (400 with every error)."""
        serializer = serializer_class(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer

    def rendered(self, response: HttpResponseBase) -> HttpResponseBase:
        """``response`` finalized and rendered: its bytes, as sent, can be stored."""
        response = self.finalize_response(self.request, response, *self.args, **self.kwargs)
        if isinstance(response, SimpleTemplateResponse):
            response.render()
        return response


class ApiViewMixin(ApiBaseMixin):
    authentication_classes: ClassVar[list] = [ApiKeyAuthentication, SessionAuthentication]
    permission_classes: ClassVar[list] = [HasScope]
    throttle_classes: ClassVar[list] = [ApiKeyRateThrottle]
    read_scope: ClassVar[str | None] = None
    write_scope: ClassVar[str | None] = None
    action_scopes: ClassVar[dict[str, str]] = {}

    _idempotency: IdempotencyClaim | None = None

    @classmethod
    def as_view(cls, *args: Any, **kwargs: Any):
        if not (cls.read_scope and cls.write_scope):
            raise TypeError(f"{cls.__name__} must declare read_scope and write_scope")
        if issubclass(cls, ApiViewSet) and not hasattr(cls, "model"):
            raise TypeError(f"{cls.__name__} must declare the model it serves")
        return super().as_view(*args, **kwargs)

    def required_scope(self) -> str:
        action = getattr(self, "action", None)
        if action in self.action_scopes:
            return self.action_scopes[action]
        safe = self.request.method in ("GET", "HEAD", "OPTIONS")
        return self.read_scope if safe else self.write_scope

    # --- Idempotency-Key on POST -----------------------------------------------------

    def before_body(self, request: Request) -> None:
        # authenticated and allowed: the services' audit entries name this caller (the
        # middleware forgets it when the request ends)
        actor_set(api_actor(request.auth) or staff_actor(request.user))
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if request.method == "POST" and key is not None:
            self._idempotency_begin(request, key)

    def _idempotency_begin(self, request: Request, key: str) -> None:
        if not key.strip() or len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
            raise ValidationError(
                {IDEMPOTENCY_HEADER: [f"Send 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} characters."]}
            )
        owner = (
            f"key:{request.auth.pk}"
            if isinstance(request.auth, ApiKey)
            else f"user:{request.user.pk}"
        )
        claim = idempotency_claim(
            owner=owner,
            key=key,
            method=request.method,
            path=request.path,
            body_hash=_body_hash(request),
        )
        if claim.is_new:
            self._idempotency = claim
            return
        if claim.is_mismatch:
            raise Conflict(
                "This Idempotency-Key was used with another request; use a new key for a "
                "new request.",
                code="idempotency_key_reused",
            )
        if claim.is_in_progress:
            raise Conflict(
                "A request with this Idempotency-Key is still being processed; retry later.",
                code="idempotency_key_in_use",
            )
        raise _Replay(idempotency_replay(record=claim.record))

    def handle_exception(self, exc: Exception) -> HttpResponseBase:
        if isinstance(exc, _Replay):
            return exc.response
        return super().handle_exception(exc)

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """DRF's ``APIView.dispatch``, except that a POST holding a new Idempotency-Key
        runs its handler through ``idempotent_response``: in one transaction with the
        storing of its answer (the rendered bytes), so a replay is that answer."""
        self.args, self.kwargs = args, kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        try:
            self.initial(request, *args, **kwargs)
            method = request.method.lower()
            handler = (
                getattr(self, method, self.http_method_not_allowed)
                if method in self.http_method_names
                else self.http_method_not_allowed
            )
            claim, self._idempotency = self._idempotency, None
            if claim is not None:
                self.response = idempotent_response(
                    claim=claim,
                    run=lambda: self.rendered(handler(request, *args, **kwargs)),
                    error_response=lambda exc: self.rendered(self.handle_exception(exc)),
                )
                return self.response
            response = handler(request, *args, **kwargs)
        except Exception as exc:
            if self._idempotency is not None:  # claimed, then refused before the handler ran
                idempotency_release(record=self._idempotency.record)
                self._idempotency = None
            response = self.handle_exception(exc)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response


def _body_hash(request: Request) -> str:
    """What makes two POSTs "the same body": the bytes, or for a multipart upload (whose
    boundary changes on every retry) its fields and the files' names and contents."""
    digest = hashlib.sha256()
    django_request = request._request
    if django_request.content_type != "multipart/form-data":
        digest.update(django_request.body)
        return digest.hexdigest()
    try:
        fields, uploads = django_request.POST, django_request.FILES
    except MultiPartParserError as exc:
        raise ParseError(f"The multipart body could not be read ({exc}).") from None
    for name, values in sorted(fields.lists()):
        digest.update(json.dumps(["field", name, values]).encode())
    for name, files in sorted(uploads.lists()):
        for file in files:
            digest.update(json.dumps(["file", name, file.name]).encode())
            for chunk in file.chunks():
                digest.update(chunk)
            file.seek(0)
    return digest.hexdigest()


class ApiView(ApiViewMixin, APIView):
    """An API view that is not about one model (declare read_scope and write_scope)."""


class ApiViewSet(ApiViewMixin, GenericViewSet):
    """A resource's viewset. Declare ``model`` and the scopes, implement ``scoped_queryset``."""

    model: ClassVar[type[Model]]
    pagination_class = ApiCursorPagination

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} overrides get_queryset; implement scoped_queryset() instead"
            )
        if cls.__dict__.get("queryset") is not None:
            raise TypeError(f"{cls.__name__} sets queryset; implement scoped_queryset() instead")

    def scoped_queryset(self) -> QuerySet:
        raise NotImplementedError

    def object_response(self, pk: int, *, status_code: int = status.HTTP_200_OK) -> Response:
        """The object read again through ``get_queryset`` (its prefetches included)."""
        instance = self.get_queryset().get(pk=pk)
        return Response(self.get_serializer(instance).data, status=status_code)

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the types
            return self.model.objects.none()
        shop = getattr(self.request, "shop", None)
        if shop is None or connection.schema_name != shop.schema_name:
            raise RuntimeError("API querysets are read in the requesting shop's schema only")
        queryset = self.scoped_queryset()
        if not isinstance(queryset, QuerySet) or queryset.model is not self.model:
            raise TypeError(
                f"{type(self).__name__}.scoped_queryset() must return a {self.model.__name__} "
                "queryset"
            )
        return queryset


class JsonOnlyNegotiation(DefaultContentNegotiation):
    """JSON whatever the Accept header asks for: a page's fetch or beacon may send any."""

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        return renderers[0], renderers[0].media_type


class ShopperView(ApiBaseMixin, APIView):
    """An endpoint of the shop's pages, for anonymous shoppers (tag "Shopper" in the schema).

    - **No API key, session or cookie**, so no CSRF token either: shoppers are anonymous
      and the embedded shop page runs in third-party iframes where cookies are blocked.
      A cross-site request can do no more than the page itself: buy-now only makes an
      unpaid order, an order's status and payment need the client secret buy-now
      answered with, a vote counts once per shopper (``X-Shopper-Token``, read by
      ``ShopperTokenAuthentication`` where a view needs the shopper).
    - **Rate limits** (``shops.ratelimits``) by its ``throttle_classes``: per client
      address (``rate_scope``, ``rate_setting``) or per shopper (``shopper_action``);
      over them 429 with ``Retry-After``, before the body is read.
    - **A body larger than** ``max_body_bytes`` is refused (413) before it is parsed.
    - **JSON answers** whatever ``Accept`` says; errors in the API's one shape.
    """

    authentication_classes: ClassVar[list] = []
    permission_classes: ClassVar[list] = [AllowAny]
    throttle_classes: ClassVar[list] = []
    renderer_classes: ClassVar[list] = [JSONRenderer]
    content_negotiation_class = JsonOnlyNegotiation
    schema = ShopperAutoSchema()
    max_body_bytes: ClassVar[int | None] = None

    def check_throttles(self, request: Request) -> None:
        for throttle in self.get_throttles():
            if not throttle.allow_request(request, self):
                raise RateLimited(throttle.wait(), message=throttle.message)

    def before_body(self, request: Request) -> None:
        limit = self.max_body_bytes
        if limit is not None and len(request._request.body) > limit:
            raise RequestTooLarge(f"Send at most {limit // 1024} KB at once.")
