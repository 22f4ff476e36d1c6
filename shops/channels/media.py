"""The bytes of one of the shop's images, for a platform that wants the file uploaded
(TikTok) rather than a URL it fetches itself.

Files of the shop's own filesystem storage are read from it (the URL's path names the
file under the storage's base URL); any other URL (S3, a CDN) is fetched over HTTP with
a timeout. A missing file or a 4xx answer is that product's problem
(``ImageUnavailable``: its items are rejected with the reason); a 5xx or a network
failure may pass (``RetryableError``: the batch is sent again later).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import unquote, urlparse

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, storages

from shops.channels.clients import RetryableError
from shops.channels.clients.tiktok import ProductRefused
from shops.http import deadline_open

MAX_BYTES = 5 * 1024 * 1024  # TikTok's limit for an uploaded image


class ImageUnavailable(ProductRefused):
    pass


def _unavailable(url: str, status: int) -> ImageUnavailable:
    return ImageUnavailable(f"The image {url} could not be fetched (HTTP {status}).", status=status)


def _checked(url: str, content: bytes) -> bytes:
    if len(content) > MAX_BYTES:
        raise ImageUnavailable(f"The image {url} is over 5 MB; upload a smaller one.")
    return content


def image_bytes(url: str, *, timeout: float) -> bytes:
    """The file behind ``url`` (one of the current shop's image URLs)."""
    storage = storages["default"]
    if isinstance(storage, FileSystemStorage):
        base = urlparse(storage.base_url or "").path
        path = unquote(urlparse(url).path)
        if base and path.startswith(base):
            try:
                with storage.open(path[len(base) :]) as file:
                    return _checked(url, file.read(MAX_BYTES + 1))
            except (FileNotFoundError, IsADirectoryError, SuspiciousFileOperation):
                raise _unavailable(url, 404) from None
    try:
        request = urllib.request.Request(url, headers={"Accept": "image/*"})  # noqa: S310
        with deadline_open(request, timeout=timeout) as response:
            return _checked(url, response.read(MAX_BYTES + 1))
    except urllib.error.HTTPError as error:
        if error.code < 500:
            raise _unavailable(url, error.code) from None
        raise RetryableError(f"The image {url} could not be fetched (HTTP {error.code}).") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise RetryableError(f"The image {url} could not be fetched ({reason}).") from None
