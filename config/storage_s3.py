"""Media storage on S3-compatible object storage, one key prefix per shop (MEDIA_STORAGE=s3).

Needs the optional dependency: ``pip install -e '.[s3]'``.
"""

from __future__ import annotations

from django.db import connection
from storages.backends.s3 import S3Storage


class TenantS3Storage(S3Storage):
    """Stores every file under ``<shop schema>/`` so one shop's keys never meet another's."""

    @property
    def location(self) -> str:  # type: ignore[override]
        return connection.schema_name

    @location.setter
    def location(self, value: str) -> None:  # S3Storage assigns its setting; the schema wins
        pass
