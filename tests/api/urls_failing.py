"""The shop URLs plus a resource whose scoped_queryset breaks the base viewset's contract
(it returns variants for a product resource): a real 500 to test the answer to it."""

from django.db.models import QuerySet
from django.urls import path
from rest_framework import mixins

from catalog.models import Product, Variant
from config.urls_tenants import urlpatterns as shop_urlpatterns
from shops.api.base import ApiViewSet


class MismatchedViewSet(mixins.ListModelMixin, ApiViewSet):
    model = Product
    read_scope = write_scope = "catalog:read"

    def scoped_queryset(self) -> QuerySet:
        return Variant.objects.all()

    def create(self, request):
        return self.list(request)


view = MismatchedViewSet.as_view({"get": "list", "post": "create"})
urlpatterns = [path("api/v1/mismatched/", view), *shop_urlpatterns]
