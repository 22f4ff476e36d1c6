"""Encrypt every shop's stored secrets again with the first of SECRETS_KEYS."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import get_public_schema_name, tenant_context

from shops.models import Shop
from shops.secrets import SecretsError, secrets_rotate


class Command(BaseCommand):
    help = (
        "Encrypt the secrets every shop stores (its Stripe keys, its channels' access "
        "tokens) again with the first key of SECRETS_KEYS; each shop in its own schema and "
        "transaction. Safe to run again: secrets under the first key are left as they are."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slugs", nargs="*", help="only these shops (default: every shop)")

    def handle(self, *args, slugs: list[str], **options) -> None:
        shops = Shop.objects.exclude(schema_name=get_public_schema_name()).order_by("slug")
        if slugs:
            shops = shops.filter(slug__in=slugs)
            unknown = sorted(set(slugs) - {shop.slug for shop in shops})
            if unknown:
                raise CommandError(f"no shop {', '.join(unknown)}")
        rotated = current = unreadable = 0
        for shop in shops:
            with tenant_context(shop):
                try:
                    rotation = secrets_rotate()
                except SecretsError as error:
                    raise CommandError(error.message) from None
            self.stdout.write(
                f"{shop.slug}: {rotation.rotated} re-encrypted, {rotation.current} already "
                f"under the first key, {rotation.unreadable} unreadable"
            )
            rotated += rotation.rotated
            current += rotation.current
            unreadable += rotation.unreadable
        self.stdout.write(
            f"{rotated} secrets re-encrypted, {current} already under the first key, "
            f"{unreadable} unreadable."
        )
        if unreadable:
            raise CommandError(
                f"{unreadable} secrets could not be decrypted with any key and were left as "
                "they are: keep the key they were written with in SECRETS_KEYS, or have the "
                "shops enter them again."
            )
