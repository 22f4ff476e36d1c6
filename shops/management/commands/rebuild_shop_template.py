from django.core.management.base import BaseCommand

from shops.schema_template import template_build


class Command(BaseCommand):
    help = "Migrate the template schema afresh and store the script new shops are created from."

    def handle(self, *args, **options) -> None:
        template = template_build(force=True)
        self.stdout.write(self.style.SUCCESS(f"Built {template}"))
