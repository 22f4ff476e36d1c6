"""The API under ``/api/v1/`` on a shop's host, its one urlconf: the shopper endpoints
(buy-now, the posts' beacon, votes), one router for every app's partner resources, the
OpenAPI schema and its docs."""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from shops.api.analytics.views import BreakdownView, FunnelView, SeriesView, SummaryView
from shops.api.catalog.views import (
    CollectionViewSet,
    ProductViewSet,
    VariantViewSet,
)
from shops.api.channels.views import ChannelItemViewSet, ConnectionViewSet
from shops.api.orders.shopper import (
    BagCheckView,
    BuyNowView,
    CheckoutQuoteView,
    OrderPayView,
    OrderStatusView,
)
from shops.api.orders.views import OrderViewSet
from shops.api.posts.shopper import PostEventsView
from shops.api.posts.views import PostViewSet
from shops.api.pricing.views import DiscountViewSet, ShippingRateViewSet, ShippingZoneViewSet
from shops.api.reviews.shopper import PollVoteView, ReviewVoteView, ShopperTokenView
from shops.api.reviews.views import PollViewSet, ReviewViewSet
from shops.api.webhooks import EventViewSet, WebhookSubscriptionViewSet

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
router.register("events", EventViewSet, basename="event")

shopper_urls = [
    path("bag/check/", BagCheckView.as_view(), name="bag-check"),
    path("checkout/quote/", CheckoutQuoteView.as_view(), name="checkout-quote"),
    path("buy-now/", BuyNowView.as_view(), name="buy-now"),
    path("buy-now/<str:public_id>/", OrderStatusView.as_view(), name="order-status"),
    path("buy-now/<str:public_id>/pay/", OrderPayView.as_view(), name="order-pay"),
    path("post-events/", PostEventsView.as_view(), name="post-events"),
    path("shopper-token/", ShopperTokenView.as_view(), name="shopper-token"),
    path("reviews/<int:review_id>/vote/", ReviewVoteView.as_view(), name="shopper-review-vote"),
    path("polls/<int:poll_id>/vote/", PollVoteView.as_view(), name="shopper-poll-vote"),
]

analytics_urls = [
    path("analytics/summary/", SummaryView.as_view(), name="analytics-summary"),
    path("analytics/funnel/", FunnelView.as_view(), name="analytics-funnel"),
    path("analytics/series/", SeriesView.as_view(), name="analytics-series"),
    path("analytics/breakdown/", BreakdownView.as_view(), name="analytics-breakdown"),
]

urlpatterns = [
    *shopper_urls,
    *analytics_urls,
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
]
