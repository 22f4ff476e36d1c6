"""The partner API under ``/api/v1/`` on a shop's host: one router for every app's
resources, the OpenAPI schema and its docs."""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from shops.api.catalog.views import (
    CollectionViewSet,
    ProductViewSet,
    VariantViewSet,
)
from shops.api.channels.views import ChannelItemViewSet, ConnectionViewSet
from shops.api.orders.views import OrderViewSet
from shops.api.posts.views import PostViewSet
from shops.api.pricing.views import DiscountViewSet, ShippingRateViewSet, ShippingZoneViewSet
from shops.api.reviews.views import PollViewSet, ReviewViewSet
from shops.api.webhooks import WebhookSubscriptionViewSet

router = SimpleRouter()
router.register("products", ProductViewSet, basename="product")
router.register("variants", VariantViewSet, basename="variant")
router.register("collections", CollectionViewSet, basename="collection")
router.register("orders", OrderViewSet, basename="order")
router.register("shipping-zones", ShippingZoneViewSet, basename="shipping-zone")
router.register("shipping-rates", ShippingRateViewSet, basename="shipping-rate")
router.register("discounts", DiscountViewSet, basename="discount")
router.register("reviews", ReviewViewSet, basename="review")
router.register("posts", PostViewSet, basename="post")
router.register("polls", PollViewSet, basename="poll")
router.register("channels", ConnectionViewSet, basename="channel")
router.register(r"channels/(?P<channel>[a-z]+)/items", ChannelItemViewSet, basename="channel-item")
router.register("webhooks", WebhookSubscriptionViewSet, basename="webhook-subscription")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
]
