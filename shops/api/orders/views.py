"""Orders in the partner API: list and detail (with their lines), and the merchant's
actions fulfil, cancel and refund, done by orders.services exactly as in the admin
(the status machine in orders.status decides what is allowed)."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from orders import services
from orders.models import Order, OrderLine
from orders.services.merchant import PROVIDER_ERROR
from shops.api.base import ApiViewSet
from shops.api.errors import Conflict
from shops.api.filters import ApiOrderingFilter, QueryFiltersMixin
from shops.api.models import Scope
from shops.api.orders import serializers as s


class BadGateway(exceptions.APIException):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_detail = "Stripe could not be reached; retry with the same Idempotency-Key."
    default_code = PROVIDER_ERROR


ACTION_RESPONSES = {
    409: OpenApiResponse(
        description="Nothing was changed, and retrying will not help: the order's status "
        "does not allow this (code `invalid_transition`: e.g. refunding an order that was "
        "never paid, fulfilling a cancelled one), Stripe refused (code `payment_refused`: "
        "e.g. the payment was never taken at Stripe), the shop has no payments set up "
        "(`payments_not_set_up`), or the Idempotency-Key is in use. Body: "
        '`{"error": {"code": ..., "message": ...}}`, the message says what to do.'
    ),
    502: OpenApiResponse(
        description="Stripe could not be reached (code `payment_provider_error`); retry."
    ),
}


def _api_error(error: services.OrderActionError, *, field: str | None = None) -> Exception:
    """The API's error for a merchant action refused by the orders services."""
    if error.code == "invalid_amount":
        return exceptions.ValidationError({field or "amount": [str(error)]}, code=error.code)
    if error.code == PROVIDER_ERROR:
        return BadGateway(str(error))
    return Conflict(str(error), code=error.code)


@extend_schema(tags=["orders"])
@extend_schema_view(list=extend_schema(parameters=[s.OrderFilterSerializer]))
class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, QueryFiltersMixin, ApiViewSet):
    """Orders with their lines (copies of title, SKU and price at purchase time). Newest
    first unless ``ordering`` says otherwise.

    The list is of paid orders (``paid_at`` set: paid, fulfilled, refunded); checkouts
    never paid are listed only when a ``status`` is asked for explicitly
    (``pending_payment``: held for their payment now; ``cancelled``: ended unpaid).
    One order by id, and its actions, reach every row (``cancel`` is for unpaid ones)."""

    model = Order
    serializer_class = s.OrderSerializer
    read_scope = Scope.ORDERS_READ
    write_scope = Scope.ORDERS_WRITE
    filter_backends = [ApiOrderingFilter]
    ordering_fields = ["id", "created", "total"]
    ordering = ["-id"]

    filter_serializer = s.OrderFilterSerializer
    filter_lookups = {
        "status": "status",
        "created_after": "created__gte",
        "created_before": "created__lt",
        "email": "email__iexact",
        "utm_source": "utm_source",
    }

    def scoped_queryset(self) -> QuerySet:
        orders = Order.objects.prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("id"))
        )
        if self.action == "list" and "status" not in self.request.query_params:
            orders = orders.filter(paid_at__isnull=False)  # a checkout is not an order
        return self.filtered(orders)

    def _act(self, do: Callable[[Order], Order], *, field: str | None = None) -> Response:
        order = self.get_object()
        try:
            do(order)
        except services.OrderActionError as error:
            raise _api_error(error, field=field) from None
        return self.object_response(order.pk)

    @extend_schema(
        request=s.FulfilInputSerializer, responses={200: s.OrderSerializer, **ACTION_RESPONSES}
    )
    @action(detail=True, methods=["post"])
    def fulfil(self, request: Request, pk: str) -> Response:
        """Mark a paid order shipped (the whole order), with an optional carrier and
        tracking number; the shopper is emailed and ``order.fulfilled`` is sent."""
        data = self.validated_input(s.FulfilInputSerializer).validated_data
        return self._act(
            lambda order: services.order_fulfil(
                order=order, carrier=data["carrier"], tracking_number=data["tracking_number"]
            )
        )

    @extend_schema(request=None, responses={200: s.OrderSerializer, **ACTION_RESPONSES})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Cancel an unpaid order: its Stripe PaymentIntent is cancelled and the stock
        given back (``order.cancelled``). A paid order is refunded instead."""
        return self._act(lambda order: services.order_cancel(order=order))

    @extend_schema(
        request=s.RefundInputSerializer, responses={200: s.OrderSerializer, **ACTION_RESPONSES}
    )
    @action(detail=True, methods=["post"])
    def refund(self, request: Request, pk: str) -> Response:
        """Refund a paid order through Stripe: what is left in full, or ``amount``
        (``order.refunded``; the status becomes ``partially_refunded`` or ``refunded``).
        An order that was never paid answers 409 ``invalid_transition``; one Stripe
        will not refund (its payment failed there) 409 ``payment_refused``."""
        amount = self.validated_input(s.RefundInputSerializer).validated_data.get("amount")
        return self._act(
            lambda order: services.order_refund(order=order, amount=amount), field="amount"
        )
