"""URLs of every shop host (``<slug>.<PLATFORM_DOMAIN>`` and custom domains).

They are served in the shop's schema."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from orders import views as order_views
from shops.accounts import views as account_views
from shops.api import views as api_views
from shops.channels import views as channel_views
from shops.consent import views as consent_views
from shops.insights import views as insights_views
from shops.privacy import views as privacy_views
from shops.storefront import collection_pages, privacy_pages, shop_settings
from shops.storefront import order_pages as order_page_views
from shops.storefront import post_pages as post_views
from shops.storefront import product_pages as catalog_views
from shops.storefront import review_pages as review_views
from shops.storefront import views as storefront_views

urlpatterns = [
    path("", storefront_views.shop_page, name="shop-page"),
    path("embed/", storefront_views.embed, name="embed"),
    path("embed.js", storefront_views.embed_loader, name="embed-loader"),
    path("favicon.ico", storefront_views.favicon, name="favicon"),
    path("insights/events/", insights_views.beacon, name="insights-beacon"),
    path("search/", storefront_views.search, name="shop-search"),
    path("products/<slug:slug>/", catalog_views.product_page, name="product-page"),
    path("collections/<slug:slug>/", collection_pages.collection_page, name="collection-page"),
    path("posts/<int:post_id>/", post_views.post_page, name="post-page"),
    path("products/<slug:slug>/reviews/", review_views.review_create, name="review-create"),
    path("reviews/about/", review_views.disclosure, name="reviews-disclosure"),
    path("reviews/write/<str:token>/", review_views.review_write, name="review-write"),
    path("reviews/<int:review_id>/vote/", review_views.review_vote_view, name="review-vote"),
    path("polls/<int:poll_id>/", review_views.poll_page, name="poll"),
    path("polls/confirm/<str:token>/", review_views.poll_confirm, name="poll-confirm"),
    path("email/confirm/<str:token>/", consent_views.confirm, name="consent-confirm"),
    path("email/unsubscribe/<str:token>/", consent_views.unsubscribe, name="unsubscribe"),
    path("privacy/", privacy_pages.privacy_page, name="privacy"),
    path("welcome/", account_views.welcome, name="welcome"),
    path("my-data/", privacy_views.my_data_ask, name="my-data"),
    path("my-data/<str:token>/", privacy_views.my_data_summary, name="my-data-summary"),
    re_path(
        r"^my-data/(?P<token>[^/]+)/export\.(?P<file_format>json|zip)$",
        privacy_views.my_data_download,
        name="my-data-download",
    ),
    path("my-data/<str:token>/erase/", privacy_views.my_data_erase, name="my-data-erase"),
    path("bag/", storefront_views.bag_page, name="bag"),
    path("checkout/", order_views.checkout, name="checkout"),
    path(
        "checkout/reminders/stop/<str:token>/",
        order_views.checkout_reminders_stop,
        name="checkout-reminders-stop",
    ),
    path("orders/<uuid:public_id>/paid/", order_page_views.order_paid, name="order-paid"),
    path("orders/<str:token>/", order_page_views.order_page, name="shopper-order"),
    path(
        "orders/<str:token>/confirmation/",
        order_page_views.order_confirmation,
        name="order-confirmation",
    ),
    path("webhooks/stripe/", order_views.stripe_webhook, name="stripe-webhook"),
    re_path(
        r"^feeds/(?P<channel>[a-z]+)\.(?P<file_format>csv|tsv|xml)$",
        channel_views.feed,
        name="channel-feed",
    ),
    # Django's password reset flow; the admin's login page links to "admin_password_reset"
    path(
        "admin/password_reset/",
        account_views.ShopPasswordResetView.as_view(),
        name="admin_password_reset",
    ),
    path(
        "admin/password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "admin/reset/<uidb64>/<token>/",
        account_views.ShopPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "admin/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "admin/invitation/<str:token>/",
        account_views.invitation_accept_view,
        name="staff-invitation",
    ),
    path(
        "admin/shop-settings/",
        admin.site.admin_view(shop_settings.shop_settings_view),
        name="shop-settings",
    ),
    path(
        "admin/shop-settings/domains/<int:domain_id>/remove/",
        admin.site.admin_view(shop_settings.domain_remove_view),
        name="shop-domain-remove",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include("shops.api.urls")),  # the API: partner and shopper endpoints
]

if settings.DEBUG:
    urlpatterns += [re_path(r"^media/(?P<path>.+)$", storefront_views.media)]

# Keep last: any other path under /api/v1/ answers 404 in the API's error shape.
urlpatterns += [re_path(r"^api/v1/(?P<path>.*)$", api_views.not_found)]
