"""The pricing rules a checkout applies, in the partner API: shipping zones (each with
its rates), shipping rates (each with its zone) and discount codes (with their uses).
Every write goes through orders.services, which checks the rules as in the admin (a
country in one zone only, a band that fits the rate's kind, a code unique in any case,
a usage limit never below the uses so far) and names the field at fault."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, Q, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from orders import services
from orders.models import Discount, ShippingRate, ShippingZone
from shops.api.base import ApiViewSet
from shops.api.filters import ApiOrderingFilter, QueryFiltersMixin
from shops.api.models import Scope
from shops.api.pricing import serializers as s


class PricingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    QueryFiltersMixin,
    ApiViewSet,
):
    """List, read, create (``row_create``), change what is sent (``row_update``) and
    delete; the body is checked by ``input_serializer`` (every field optional on PATCH)."""

    filter_backends = [ApiOrderingFilter]
    ordering_fields = ["id", "created", "updated"]
    ordering = ["id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    input_serializer: type[Serializer]

    def row_create(self, data: dict) -> Model:
        raise NotImplementedError

    def row_update(self, row: Model, data: dict) -> None:
        raise NotImplementedError

    def create(self, request: Request) -> Response:
        row = self.row_create(dict(self.validated_input(self.input_serializer).validated_data))
        return self.object_response(row.pk, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        row = self.get_object()
        data = self.validated_input(self.input_serializer, partial=True).validated_data
        self.row_update(row, dict(data))
        return self.object_response(row.pk)


def _writes(
    input_serializer: type[Serializer],
    output_serializer: type[Serializer],
    *,
    update: str = "Change the fields sent; the others keep their value.",
):
    """The schema of a pricing resource's create and update."""
    return extend_schema_view(
        create=extend_schema(request=input_serializer, responses={201: output_serializer}),
        partial_update=extend_schema(
            request=input_serializer, responses=output_serializer, description=update
        ),
    )


@extend_schema(tags=["shipping"])
@_writes(s.ShippingZoneInputSerializer, s.ShippingZoneSerializer)
class ShippingZoneViewSet(PricingViewSet):
    """Shipping zones: a name and the countries it covers, with its rates. A country in
    no zone is one the shop does not ship to; deleting a zone deletes its rates."""

    model = ShippingZone
    serializer_class = s.ShippingZoneSerializer
    input_serializer = s.ShippingZoneInputSerializer
    read_scope = Scope.SHIPPING_READ
    write_scope = Scope.SHIPPING_WRITE
    ordering_fields = ["id", "name", "created", "updated"]

    def scoped_queryset(self) -> QuerySet:
        return ShippingZone.objects.prefetch_related("rates")

    def row_create(self, data: dict) -> ShippingZone:
        return services.shipping_zone_create(**data)

    def row_update(self, row: ShippingZone, data: dict) -> None:
        services.shipping_zone_update(zone=row, **data)

    def perform_destroy(self, instance: ShippingZone) -> None:
        services.shipping_zone_delete(zone=instance)


def _zone(zone_id: int) -> ShippingZone:
    zone = ShippingZone.objects.filter(pk=zone_id).first()
    if zone is None:
        raise DjangoValidationError(
            {
                "zone_id": DjangoValidationError(
                    f"There is no shipping zone {zone_id} in this shop.", code="does_not_exist"
                )
            }
        )
    return zone


@extend_schema(tags=["shipping"])
@extend_schema_view(list=extend_schema(parameters=[s.ShippingRateFilterSerializer]))
@_writes(
    s.ShippingRateInputSerializer,
    s.ShippingRateSerializer,
    update="Change the fields sent; the rate is checked whole again, so changing `kind` "
    "asks for the fitting limits (and null for the others).",
)
class ShippingRateViewSet(PricingViewSet):
    """Shipping rates, each with its zone: flat, or for a band of the order's weight
    (grams, physical products only) or value (the items' total), from the lower limit
    (included) to the upper one (not included); free once the items' total reaches
    ``free_over``. At checkout a shopper is offered the rates of their country's zone
    that fit the order."""

    model = ShippingRate
    serializer_class = s.ShippingRateSerializer
    input_serializer = s.ShippingRateInputSerializer
    read_scope = Scope.SHIPPING_READ
    write_scope = Scope.SHIPPING_WRITE
    ordering_fields = ["id", "name", "price", "created", "updated"]

    filter_serializer = s.ShippingRateFilterSerializer
    filter_lookups = {
        "zone": "zone_id",
        "country": lambda country: Q(zone__countries__contains=[country.upper()]),
    }

    def scoped_queryset(self) -> QuerySet:
        return self.filtered(ShippingRate.objects.select_related("zone"))

    def row_create(self, data: dict) -> ShippingRate:
        return services.shipping_rate_create(zone=_zone(data.pop("zone_id")), **data)

    def row_update(self, row: ShippingRate, data: dict) -> None:
        if "zone_id" in data:
            data["zone"] = _zone(data.pop("zone_id"))
        services.shipping_rate_update(rate=row, **data)

    def perform_destroy(self, instance: ShippingRate) -> None:
        services.shipping_rate_delete(rate=instance)


@extend_schema(tags=["discounts"])
@extend_schema_view(list=extend_schema(parameters=[s.DiscountFilterSerializer]))
@_writes(s.DiscountInputSerializer, s.DiscountSerializer)
class DiscountViewSet(PricingViewSet):
    """Discount codes: a percentage or a fixed amount off the items, or free shipping;
    with a minimum order, a usage limit, once per customer (by email), start and end
    dates. ``uses`` counts the orders paid or awaiting payment with the code (read only).
    Newest first unless ``ordering`` says otherwise."""

    model = Discount
    serializer_class = s.DiscountSerializer
    input_serializer = s.DiscountInputSerializer
    read_scope = Scope.DISCOUNTS_READ
    write_scope = Scope.DISCOUNTS_WRITE
    ordering_fields = ["id", "code", "uses", "created", "updated"]
    ordering = ["-id"]

    filter_serializer = s.DiscountFilterSerializer
    filter_lookups = {"code": "code__iexact", "kind": "kind", "is_active": "is_active"}

    def scoped_queryset(self) -> QuerySet:
        return self.filtered(Discount.objects.all())

    def row_create(self, data: dict) -> Discount:
        return services.discount_create(**data)

    def row_update(self, row: Discount, data: dict) -> None:
        services.discount_update(discount=row, **data)

    def perform_destroy(self, instance: Discount) -> None:
        services.discount_delete(discount=instance)
