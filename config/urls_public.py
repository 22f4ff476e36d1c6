"""URLs of the platform host (public schema)."""

from django.urls import path

from orders import views as order_views
from shops import views
from shops.channels import views as channel_views

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("login/", views.find_shop, name="find-shop"),
    path("favicon.ico", views.favicon, name="favicon"),
    # Stripe sends every shop's events to one address; the event names the shop.
    path("webhooks/stripe/", order_views.stripe_webhook, name="stripe-webhook"),
    # The platforms' logins send every shop back to one address; the state names the shop.
    path(
        "channels/login/callback/",
        channel_views.login_callback_relay,
        name="channels-login-callback",
    ),
]
