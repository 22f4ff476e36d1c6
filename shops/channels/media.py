"""The bytes of one of the shop's images, for a platform that wants the file uploaded
(TikTok) rather than a URL it fetches itself.

Files of the shop's own filesystem storage are read from it (the URL's path names the
file under the storage's base URL); any other URL (S3, a CDN) is fetched over HTTP with
a timeout. A missing file or a 4xx answer is that product's problem
(``ImageUnavailable``: its items are rejected with the reason); a 5xx or a network
failure may pass (``RetryableError``: the batch is sent again later).
"""

from __future__ import annotations

from urllib.parse import unquote, urlparse

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, storages

from shops.channels.clients import RetryableError
from shops.channels.clients.tiktok import ProductRefused
from shops.http import BodyTooLarge, OutboundError, http_request

MAX_BYTES = 5 * 1024 * 1024  # TikTok's limit for an uploaded image


class ImageUnavailable(ProductRefused):
    pass


def _unavailable(url: str, status: int) -> ImageUnavailable:
    return ImageUnavailable(f"The image {url} could not be fetched (HTTP {status}).", status=status)


def _too_large(url: str) -> ImageUnavailable:
    return ImageUnavailable(f"The image {url} is over 5 MB; upload a smaller one.")


def _checked(url: str, content: bytes) -> bytes:
    if len(content) > MAX_BYTES:
        raise _too_large(url)
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
        # the shop's own storage (S3, a CDN) from the settings: no address guard
        response = http_request(
            "GET",
            url,
            headers={"Accept": "image/*"},
            timeout=timeout,
            max_bytes=MAX_BYTES,
            allow_private=True,
        )
    except BodyTooLarge as error:
        if 200 <= error.status < 300:
            raise _too_large(url) from None
        status = error.status
    except OutboundError as error:
        raise RetryableError(f"The image {url} could not be fetched ({error}).") from None
    else:
        if 200 <= response.status < 300:
            return response.body
        status = response.status
    if status < 500:
        raise _unavailable(url, status)
    raise RetryableError(f"The image {url} could not be fetched (HTTP {status}).")
