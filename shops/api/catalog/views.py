"""Catalog resources of the partner API: products (with variants and images), variants
and their stock, collections. Every write goes through catalog.services,
catalog.collections or catalog.images, which validate and write the outbox."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, Q, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from catalog import collections as collection_services
from catalog import services
from catalog.images import product_image_add, product_image_add_from_url, product_image_remove
from catalog.models import Collection, CollectionProduct, Product, ProductImage, Variant
from shops.api.base import ApiViewSet
from shops.api.catalog import serializers as s
from shops.api.filters import ApiOrderingFilter, QueryFiltersMixin
from shops.api.images import UPLOAD_PARSERS, errors_on
from shops.api.models import Scope


class CatalogViewSet(QueryFiltersMixin, ApiViewSet):
    read_scope = Scope.CATALOG_READ
    write_scope = Scope.CATALOG_WRITE
    filter_backends = [ApiOrderingFilter]
    ordering_fields = ["id"]
    ordering = ["id"]


@extend_schema(tags=["products"])
@extend_schema_view(list=extend_schema(parameters=[s.ProductFilterSerializer]))
class ProductViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    CatalogViewSet,
):
    """Products with their variants and images (all of them, pending and failed
    included, with their status)."""

    model = Product
    serializer_class = s.ProductSerializer
    ordering_fields = ["id", "title", "created", "updated"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    filter_serializer = s.ProductFilterSerializer
    filter_lookups = {
        "status": "status",
        "product_type": "product_type__iexact",
        "tag": lambda tag: Q(tags__contains=[tag]),
        "sku": "variants__sku",
        "updated_after": "updated__gt",
        "updated_before": "updated__lt",
    }

    def scoped_queryset(self) -> QuerySet:
        return self.filtered(
            Product.objects.prefetch_related(
                # plain lists (to_attr): a related manager per product and relation would
                # clone a query each time, a third of a page's time
                Prefetch(
                    "variants",
                    queryset=Variant.objects.order_by("position", "id"),
                    to_attr="variant_list",
                ),
                Prefetch(
                    "images",
                    queryset=ProductImage.objects.order_by("position", "id"),
                    to_attr="image_list",
                ),
            )
        )

    @extend_schema(request=s.ProductCreateSerializer, responses={201: s.ProductSerializer})
    def create(self, request: Request) -> Response:
        data = self.validated_input(s.ProductCreateSerializer)
        variants = [
            services.VariantInput(**variant) for variant in data.validated_data.get("variants", [])
        ]
        product = services.product_create(variants=variants, **data.product_fields())
        return self.object_response(product.pk, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=s.ProductInputSerializer, responses=s.ProductSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        product = self.get_object()
        data = self.validated_input(s.ProductInputSerializer, partial=True)
        services.product_update(product=product, **data.product_fields())
        return self.object_response(product.pk)

    def perform_destroy(self, instance: Product) -> None:
        services.product_delete(product=instance)

    @extend_schema(
        request={
            "application/json": s.ImageInputSerializer,
            "multipart/form-data": s.ImageInputSerializer,
        },
        responses={201: s.ImageSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="images",
        parser_classes=UPLOAD_PARSERS,
    )
    def add_image(self, request: Request, pk: str) -> Response:
        """Add a picture: by ``url`` (downloaded by a task; ``pending`` until then) or by
        multipart ``file`` upload (cleaned at once, or by a task when large)."""
        product = self.get_object()
        data = self.validated_input(s.ImageInputSerializer).validated_data
        fields = {
            "product": product,
            "alt_text": data["alt_text"],
            "position": data.get("position"),
        }
        with errors_on("url" if data.get("url") else "file"):
            if data.get("url"):
                image = product_image_add_from_url(url=data["url"], **fields)
            else:
                image = product_image_add(file=data["file"], **fields)
        image.refresh_from_db()
        return Response(
            s.ImageSerializer(image, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        parameters=[OpenApiParameter("image_id", int, OpenApiParameter.PATH)],
        responses={204: None},
    )
    @action(detail=True, methods=["delete"], url_path=r"images/(?P<image_id>[0-9]{1,18})")
    def remove_image(self, request: Request, pk: str, image_id: str) -> Response:
        product = self.get_object()
        image = ProductImage.objects.filter(product=product, pk=image_id).first()
        if image is None:
            from rest_framework.exceptions import NotFound

            raise NotFound("This product has no image with that id.")
        product_image_remove(image=image)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["variants"])
@extend_schema_view(list=extend_schema(parameters=[s.VariantFilterSerializer]))
class VariantViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    CatalogViewSet,
):
    """Variants (price, options, SKU) and their stock: ``stock`` on hand (held units
    included), ``held`` by unpaid orders and ``available`` (on hand less held)."""

    model = Variant
    serializer_class = s.VariantSerializer
    ordering_fields = ["id", "sku", "stock"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    filter_serializer = s.VariantFilterSerializer
    filter_lookups = {"product": "product_id", "sku": "sku"}

    def scoped_queryset(self) -> QuerySet:
        return self.filtered(Variant.objects.all())

    @extend_schema(request=s.VariantCreateSerializer, responses={201: s.VariantSerializer})
    def create(self, request: Request) -> Response:
        data = self.validated_input(s.VariantCreateSerializer)
        fields = dict(data.validated_data)
        product = Product.objects.filter(pk=fields.pop("product")).first()
        if product is None:
            raise DjangoValidationError(
                {"product": DjangoValidationError("No such product.", code="does_not_exist")}
            )
        variant = services.variant_create(product=product, variant=services.VariantInput(**fields))
        return Response(
            s.VariantSerializer(variant, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=s.VariantUpdateSerializer, responses=s.VariantSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        variant = self.get_object()
        data = self.validated_input(s.VariantUpdateSerializer, partial=True)
        services.variant_update(variant=variant, **data.variant_fields())
        return Response(s.VariantSerializer(variant, context=self.get_serializer_context()).data)

    def perform_destroy(self, instance: Variant) -> None:
        services.variant_delete(variant=instance)

    @extend_schema(request=s.StockInputSerializer, responses=s.VariantSerializer)
    @action(detail=True, methods=["post"])
    def stock(self, request: Request, pk: str) -> Response:
        """Change stock on hand: ``{"adjust": -2}`` (relative, never below 0, safe when
        several systems adjust at once) or ``{"set": 40}`` (absolute, after a count of
        the shelf, units held by unpaid orders included: they stay held, and
        ``available`` is on hand less held)."""
        variant = self.get_object()
        data = self.validated_input(s.StockInputSerializer)
        with errors_on("adjust" if "adjust" in data.validated_data else "set"):
            if "adjust" in data.validated_data:
                services.stock_adjust(variant=variant, delta=data.validated_data["adjust"])
            else:
                services.stock_set(variant=variant, stock=data.validated_data["set"])
        return Response(s.VariantSerializer(variant, context=self.get_serializer_context()).data)


@extend_schema(tags=["collections"])
class CollectionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    CatalogViewSet,
):
    """Collections: manual (``product_ids`` in order) or automatic (by rules)."""

    model = Collection
    serializer_class = s.CollectionSerializer
    ordering_fields = ["id", "title", "created", "updated"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scoped_queryset(self) -> QuerySet:
        return Collection.objects.prefetch_related(
            Prefetch(
                "collectionproduct_set",
                queryset=CollectionProduct.objects.order_by("position", "id"),
            )
        )

    @extend_schema(request=s.CollectionCreateSerializer, responses={201: s.CollectionSerializer})
    def create(self, request: Request) -> Response:
        data = self.validated_input(s.CollectionCreateSerializer)
        with errors_on("product_ids"):
            collection = collection_services.collection_create(**data.validated_data)
        return self.object_response(collection.pk, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=s.CollectionInputSerializer, responses=s.CollectionSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        collection = self.get_object()
        data = self.validated_input(s.CollectionInputSerializer, partial=True)
        with errors_on("product_ids"):
            collection_services.collection_update(collection=collection, **data.validated_data)
        return self.object_response(collection.pk)

    def perform_destroy(self, instance: Collection) -> None:
        collection_services.collection_delete(collection=instance)
