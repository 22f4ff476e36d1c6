"""``python manage.py import_products <slug> <file.csv>``: a Shopify product CSV into a shop,
run here and now (no worker), with the same checks and error report as the admin."""

from __future__ import annotations

from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import tenant_context

from catalog.import_jobs import import_job_create, import_job_run
from catalog.models import ImportJob
from catalog.shopify_csv import CsvRefused
from shops.models import Shop

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Import products from a Shopify product CSV into a shop."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the shop's slug, as in <slug>.localhost")
        parser.add_argument("file", type=Path, help="the product CSV (UTF-8)")

    def handle(self, *args, slug: str, file: Path, **options) -> None:
        shop = Shop.objects.filter(slug=slug).first()
        if shop is None:
            raise CommandError(f"No shop has the slug “{slug}”; check it in the platform admin.")
        if not file.is_file():
            raise CommandError(f"There is no file at {file}.")
        with tenant_context(shop), file.open("rb") as handle:
            try:
                job = import_job_create(file=File(handle), name=file.name, queue=False)
            except CsvRefused as refused:
                raise CommandError(f"{file.name} was not imported: {refused.message}") from None
            job = import_job_run(job_id=job.pk, progress=self._progress)
            self.stderr.write("")
            self._summary(job)

    def _progress(self, job: ImportJob) -> None:
        total = max(job.total_rows, 1)
        filled = BAR_WIDTH * job.processed_rows // total
        bar = "#" * filled + " " * (BAR_WIDTH - filled)
        self.stderr.write(f"\r[{bar}] {job.processed_rows:,}/{job.total_rows:,} rows", ending="")
        self.stderr.flush()

    def _summary(self, job: ImportJob) -> None:
        if job.status != ImportJob.Status.SUCCEEDED:
            raise CommandError(job.message)
        self.stdout.write(job.message)
        if job.error_report:
            try:
                location = job.error_report.path
            except NotImplementedError:  # storage without local paths (S3)
                location = job.error_report.url
            self.stdout.write(f"Error report: {location}")
