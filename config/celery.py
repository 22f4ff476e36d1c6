"""The Celery app. Tasks are tenant-aware (tenant-schemas-celery): a task queued while
serving shop A carries A's schema in its headers and runs in A's schema on the worker.

With CELERY_BROKER_URL unset, tasks run in-process at once (``task_always_eager``), so
development needs no broker and no task is ever silently dropped.
"""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = CeleryApp("etalage")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
