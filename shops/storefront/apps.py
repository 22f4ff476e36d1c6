from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    """The shop page: branding, sections, shoppable posts and the embed."""

    name = "shops.storefront"
    label = "storefront"
    verbose_name = "Storefront"
