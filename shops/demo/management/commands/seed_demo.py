"""Create (or bring up to date) the demo shop. Safe to run any number of times."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import tenant_context

from catalog.demo import demo_catalog_seed
from orders.demo import DEMO_CODE, demo_pricing_seed
from reviews.demo import demo_reviews_seed
from shops.accounts.models import User
from shops.insights.demo import demo_insights_seed
from shops.models import Shop
from shops.posts.demo import demo_posts_seed
from shops.selectors import platform_url, shop_url
from shops.services import shop_create
from shops.storefront.demo import demo_design_seed

DEMO_SLUG = "demo"
DEMO_NAME = "Etalage Demo Shop"
DEMO_OWNER = "demo@example.com"


def demo_password() -> str:
    """Generated once per machine and kept in .data/, so the printed login stays valid."""
    path = Path(settings.DATA_DIR) / "demo_password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(9))
        path.chmod(0o600)
    return path.read_text().strip()


class Command(BaseCommand):
    help = "Create the demo shop (demo@example.com) with sample data; idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="port shown in the printed URLs")

    def handle(self, *args, port: int, **options) -> None:
        password = demo_password()
        shop = Shop.objects.filter(slug=DEMO_SLUG).first()
        if shop is None:
            shop = shop_create(
                slug=DEMO_SLUG, name=DEMO_NAME, owner_email=DEMO_OWNER, owner_password=password
            ).shop
        elif shop.owner_email != DEMO_OWNER:
            raise CommandError(f"the shop {DEMO_SLUG!r} exists and belongs to someone else")
        with tenant_context(shop):
            owner = User.objects.filter(email=DEMO_OWNER).first()
            if owner is None:
                User.objects.create_superuser(email=DEMO_OWNER, password=password)
            elif not owner.check_password(password):
                owner.set_password(password)
                owner.save(update_fields=["password"])
            added = demo_catalog_seed()
            pricing_added = demo_pricing_seed()
            reviews_added = demo_reviews_seed()
            demo_insights_seed()
            demo_design_seed()
            posts = demo_posts_seed()

        base = platform_url().removesuffix("/")
        demo = shop_url(shop, port=port)
        self.stdout.write(self.style.SUCCESS("Etalage is ready."))
        self.stdout.write(f"  Demo products added: {added}, posts added: {posts}")
        self.stdout.write(f"  Demo reviews added: {reviews_added}")
        self.stdout.write(
            f"  Demo shipping, tax and discount rules added: {pricing_added} "
            f"(try the code {DEMO_CODE})"
        )
        self.stdout.write(f"  Platform:   {base}:{port}/")
        self.stdout.write(f"  Demo shop:  {demo}/")
        self.stdout.write(f"  Shop admin: {demo}/admin/  login {DEMO_OWNER} / {password}")
