from django.apps import AppConfig


class CatalogConfig(AppConfig):
    """Products, variants, images, stock and collections: the shop's single source of truth."""

    name = "catalog"
    verbose_name = "Catalog"
