"""Import an Instagram account's recent posts into a shop as draft shoppable posts.

Until the channels work stores connections, the account id is an argument and the
access token comes from the environment (INSTAGRAM_ACCESS_TOKEN), never the command line.
"""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import tenant_context

from shops.channels.clients import ChannelError
from shops.channels.clients.instagram import Credentials, InstagramClient
from shops.channels.instagram_posts import posts_import_instagram
from shops.models import Shop


class Command(BaseCommand):
    help = "Import an Instagram account's recent posts as drafts (token: INSTAGRAM_ACCESS_TOKEN)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the shop")
        parser.add_argument(
            "--account-id", required=True, help="the Instagram account (IG User) id"
        )
        parser.add_argument("--limit", type=int, default=25, help="how many recent posts (25)")

    def handle(self, *args, slug: str, account_id: str, limit: int, **options) -> None:
        token = os.environ.get("INSTAGRAM_ACCESS_TOKEN", "").strip()
        if not token:
            raise CommandError("set INSTAGRAM_ACCESS_TOKEN to the account's access token")
        shop = Shop.objects.filter(slug=slug).first()
        if shop is None:
            raise CommandError(f"no shop {slug!r}")
        client = InstagramClient(credentials=Credentials(account_id=account_id, access_token=token))
        with tenant_context(shop):
            try:
                result = posts_import_instagram(client=client, limit=max(1, min(limit, 100)))
            except ChannelError as error:
                raise CommandError(f"Instagram: {error}") from None
        self.stdout.write(
            f"Imported {len(result.created)} draft posts, skipped {result.skipped}, "
            f"failed {len(result.failed)}."
        )
        for line in result.failed:
            self.stdout.write(f"  {line}")
