from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from shops.selectors import shop_url
from shops.services import shop_create


class Command(BaseCommand):
    help = "Create a shop with its schema, domain and owner account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the shop's address: <slug>.<PLATFORM_DOMAIN>")
        parser.add_argument("--name", required=True, help="the shop's display name")
        parser.add_argument("--owner", required=True, help="the owner's email address")
        parser.add_argument("--password", help="the owner's password (generated if omitted)")
        parser.add_argument("--currency", default="EUR", help="ISO 4217 code (default EUR)")
        parser.add_argument("--port", type=int, default=8000, help="port shown in the printed URL")

    def handle(
        self, *args, slug: str, name: str, owner: str, password: str | None, port: int, **options
    ) -> None:
        try:
            created = shop_create(slug=slug, name=name, owner_email=owner, owner_password=password)
        except ValidationError as exc:
            lines = [
                f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items()
            ]
            raise CommandError("cannot create the shop: " + "; ".join(lines)) from None
        url = shop_url(created.shop, port=port or None)
        self.stdout.write(self.style.SUCCESS(f"Created shop {created.shop.name!r} at {url}/"))
        self.stdout.write(f"Admin: {url}/admin/  login: {created.owner.email}")
        if created.generated_password:
            self.stdout.write(f"Password: {created.generated_password}")
