"""Media storage on the filesystem, one folder per shop: MEDIA_ROOT/<shop schema>/."""

from __future__ import annotations

from django_tenants.files.storage import TenantFileSystemStorage as BaseTenantStorage

# Folders of a shop's media that are never served by URL: the product CSVs a merchant
# imported and their error reports (the admin hands them out after a permission check).
# A web server serving MEDIA_ROOT in production must refuse them too (see the README).
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
