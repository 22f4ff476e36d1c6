from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """The shop's staff accounts (the owner and the people they invite), in the shop's schema."""

    name = "shops.accounts"
    label = "accounts"
    verbose_name = "Staff accounts"
