"""Media storage on the filesystem, one folder per shop: MEDIA_ROOT/<shop schema>/; the
static files' storage."""

from __future__ import annotations

from django_tenants.files.storage import TenantFileSystemStorage as BaseTenantStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage

# Folders of a shop's media that are never served by URL: the product CSVs a merchant
# imported and their error reports (the admin hands them out after a permission check).
# A web server serving MEDIA_ROOT in production must refuse them too (docs/operations.md).
PRIVATE_MEDIA_FOLDERS = ("imports/",)


class TenantFileSystemStorage(BaseTenantStorage):
    """django-tenants' storage, also forgetting its cached root when MEDIA_ROOT changes.

    The upstream class clears ``relative_media_root`` only when
    MULTITENANT_RELATIVE_MEDIA_ROOT changes, so after ``settings.MEDIA_ROOT`` is changed
    (tests, a reconfigured process) files would still go to the old folder.
    """

    def _clear_cached_properties(self, setting: str, **kwargs) -> None:
        super()._clear_cached_properties(setting, **kwargs)
        if setting in ("MEDIA_ROOT", "MEDIA_URL"):
            self.__dict__.pop("relative_media_root", None)
            self.__dict__.pop("relative_media_url", None)


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Content-hashed, compressed static files once ``collectstatic`` has run, plain names
    before it.

    After ``manage.py collectstatic`` (a deployment step), ``{% static %}`` names files
    by their content's hash, which WhiteNoise serves from STATIC_ROOT with a far-future
    ``Cache-Control: max-age=315360000, public, immutable`` (and gzip variants). Without
    it (``make run``, the tests) the names stay plain and WhiteNoise serves the files
    from the apps' folders (WHITENOISE_USE_FINDERS) with a short max-age, so no step is
    needed by hand. A file added since the last collectstatic keeps its plain name too.
    """

    manifest_strict = False

    def stored_name(self, name: str) -> str:
        if not self.hashed_files:  # no manifest: collectstatic has not run
            return name
        try:
            return super().stored_name(name)
        except ValueError:  # not in STATIC_ROOT: newer than the last collectstatic
            return name
