"""Import jobs: a product CSV checked at upload, imported by a task (or the shell command),
with its progress and a row-by-row error report kept on the ImportJob.

Files live in the shop's media folder (MEDIA_ROOT/<schema>/imports/...).
"""

from __future__ import annotations

import csv
import io
import logging
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import PurePath

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from catalog.imports import ImportResult, RowError, products_import
from catalog.models import ImportJob
from catalog.shopify_csv import CsvRefused, csv_inspect, max_bytes
from shops.audit.services import audit_record
from shops.media import delete_files_on_commit
from shops.queueing import task_queue, task_queue_on_commit
from shops.spreadsheets import row_neutralised

log = logging.getLogger(__name__)

REPORT_COLUMNS = ("Row", "Handle", "Column", "Message")


@transaction.atomic
def import_jobs_delete(*, job_ids: list[int]) -> int:
    """Delete import jobs, and their uploaded CSV and error report once the delete commits."""
    jobs = list(ImportJob.objects.filter(id__in=job_ids))
    names = {f.name for job in jobs for f in (job.file, job.error_report) if f}
    ImportJob.objects.filter(id__in=[job.id for job in jobs]).delete()
    delete_files_on_commit(names)
    return len(jobs)


def import_file_check(*, file: File, name: str) -> int:
    """Refuse what cannot be imported (not a .csv, too large, not UTF-8, columns missing,
    too many rows) with a CsvRefused saying what to do; the number of data rows otherwise."""
    if PurePath(name).suffix.lower() not in (".csv", ".txt"):
        raise CsvRefused(
            f"“{name}” is not a CSV file; export your products as CSV (a .csv file) and "
            "upload that."
        )
    if file.size is not None and file.size > max_bytes():
        raise CsvRefused(
            f"The file is larger than {max_bytes() // (1024 * 1024)} MB; split it into "
            "smaller files, keeping each product's rows together."
        )
    return csv_inspect(file).total_rows


def import_job_create(*, file: File, name: str, queue: bool = True) -> ImportJob:
    """Check the file, store it in the shop's media folder, and queue the import task once
    the transaction commits (``queue=False`` for a caller that runs it itself)."""
    total_rows = import_file_check(file=file, name=name)
    job = ImportJob(original_name=PurePath(name).name[:255], total_rows=total_rows)
    file.seek(0)
    job.file.save(f"{uuid.uuid4().hex}.csv", file, save=False)
    job.save()
    audit_record(action="import.products", target=job, note=f"{total_rows} row(s)")
    if queue:
        task_queue_on_commit("catalog.import_products", job.pk)
    return job


def import_jobs_queued_queue() -> int:
    """Queue again the imports still queued a while after their upload (the beat's
    ``catalog.sweep``: their queueing may have failed)."""
    cutoff = timezone.now() - timedelta(seconds=settings.QUEUE_SWEEP_AFTER_SECONDS)
    ids = ImportJob.objects.filter(status=ImportJob.Status.QUEUED, created__lte=cutoff)
    return sum(
        task_queue("catalog.import_products", job_id) for job_id in ids.values_list("pk", flat=True)
    )


def import_job_run(
    *, job_id: int, progress: Callable[[ImportJob], None] | None = None
) -> ImportJob:
    """Run a queued import; the job ends succeeded or failed, never left running. Only
    the run that moves the job from queued to running imports it: a second task (the
    sweep's) finds it taken and returns it as it is."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, processed_rows=0, message=""
    )
    job = ImportJob.objects.get(pk=job_id)
    if not claimed:
        return job

    def report(result: ImportResult) -> None:
        _job_progress(job, result)
        if progress:
            progress(job)

    try:
        with job.file.open("rb") as file:
            result = products_import(file=file, progress=report)
    except CsvRefused as refused:
        return _job_finish(job, ImportJob.Status.FAILED, refused.message)
    except Exception:  # any failure: the job must not stay "running"
        log.exception("product import %s failed", job.pk)
        return _job_finish(
            job,
            ImportJob.Status.FAILED,
            "The import stopped because of an unexpected error; the products saved before "
            "it stay saved. Import the file again to finish (products already imported are "
            "updated, not duplicated).",
        )
    _job_progress(job, result)
    if result.errors:
        job.error_report.save(f"{uuid.uuid4().hex}-errors.csv", _report(result.errors), save=False)
    return _job_finish(job, ImportJob.Status.SUCCEEDED, _summary(result))


def _job_progress(job: ImportJob, result: ImportResult) -> None:
    """A cheap UPDATE after every chunk, committed at once outside a transaction."""
    job.total_rows, job.processed_rows = result.total_rows, result.processed_rows
    job.created_products, job.updated_products = result.created, result.updated
    job.error_rows = result.error_rows
    ImportJob.objects.filter(pk=job.pk).update(
        total_rows=job.total_rows,
        processed_rows=job.processed_rows,
        created_products=job.created_products,
        updated_products=job.updated_products,
        error_rows=job.error_rows,
    )


def _job_finish(job: ImportJob, status: str, message: str) -> ImportJob:
    job.status, job.message, job.finished = status, message, timezone.now()
    job.save()
    return job


def _report(errors: list[RowError]) -> ContentFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(REPORT_COLUMNS)
    writer.writerows(
        row_neutralised((error.row, error.handle, error.column, error.message)) for error in errors
    )
    return ContentFile(buffer.getvalue().encode("utf-8-sig"))  # BOM: Excel reads it as UTF-8


def _summary(result: ImportResult) -> str:
    parts = [
        f"{result.created:,} products created, {result.updated:,} updated, "
        f"{result.unchanged:,} unchanged."
    ]
    if result.errors:
        parts.append(
            f"{result.skipped:,} products were not imported because of errors in "
            f"{result.error_rows:,} rows; download the error report, fix those rows and "
            "import the file again."
        )
    return " ".join(parts)
