"""Pictures sent to the API, in the shapes every resource that takes one accepts:

- an upload endpoint (``POST /products/{id}/images/``, ``POST /posts/{id}/images/``,
  ``POST /polls/{id}/options/{option_id}/image/``) takes JSON ``{"url"}`` or a multipart
  ``file`` (``UploadSerializer`` with ``UPLOAD_PARSERS``);
- inside a JSON body (a post's pictures, a poll's options) a picture is ``{"url"}`` or
  ``{"content_base64"}`` (``PictureSourceSerializer``).

A URL is downloaded with the media pipeline's fetcher (``shops.media.image_download``:
http(s) only, one total deadline, a size limit, no loopback, private or link-local
address unless CATALOG_IMAGE_FETCH_PRIVATE, redirects checked alike). Checking and
cleaning the bytes stays with each app's services (on top of ``shops.media``).
"""

from __future__ import annotations

import base64
import binascii
import io
import posixpath
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import ContentFile
from django.utils.text import get_valid_filename
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser

from shops.api.parsers import LimitedJSONParser
from shops.media import ACCEPTED_HELP, image_download

UPLOAD_PARSERS = [LimitedJSONParser, MultiPartParser, FormParser]


class UploadSerializer(serializers.Serializer):
    """Either ``url`` (JSON) or ``file`` (multipart upload), with the picture's alt text."""

    url = serializers.URLField(
        max_length=2000, required=False, help_text=f"A {ACCEPTED_HELP} file on http(s)."
    )
    file = serializers.FileField(required=False, help_text=f"A {ACCEPTED_HELP} file.")
    alt_text = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")

    def validate(self, data: dict) -> dict:
        if bool(data.get("url")) == bool(data.get("file")):
            raise serializers.ValidationError(
                "Send either url (JSON) or file (multipart upload).", code="url_or_file"
            )
        return data


class Base64ImageField(serializers.CharField):
    """A picture as base64 text, read into a file for the image pipeline. Text longer
    than the base64 of ``max_bytes_setting`` bytes is refused before it is decoded."""

    def __init__(self, *, max_bytes_setting: str = "POSTS_IMAGE_MAX_BYTES", **kwargs) -> None:
        self.max_bytes_setting = max_bytes_setting
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> ContentFile:
        text = super().to_internal_value(data)
        limit = getattr(settings, self.max_bytes_setting)
        if len(text) > (limit * 4) // 3 + 4:
            raise serializers.ValidationError(
                f"The picture is larger than {limit / 2**20:.3g} MiB.", code="too_large"
            )
        try:
            content = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError(
                "Send the picture's bytes as base64.", code="invalid_base64"
            ) from None
        return ContentFile(content, name="picture")


class PictureSourceSerializer(serializers.Serializer):
    """A picture inside a JSON body: ``url`` (downloaded while the request is answered)
    or ``content_base64``."""

    url = serializers.URLField(
        max_length=2000, required=False, help_text=f"A {ACCEPTED_HELP} file on http(s)."
    )
    content_base64 = Base64ImageField(required=False, help_text=f"A {ACCEPTED_HELP} file, base64.")

    def validate(self, data: dict) -> dict:
        if bool(data.get("url")) == bool(data.get("content_base64")):
            raise serializers.ValidationError(
                "Send either url or content_base64.", code="url_or_content"
            )
        return data


def picture_file(*, url: str = "", file=None, max_bytes: int):
    """The picture as a file for the services: ``file`` as sent (an upload, decoded
    base64), or the bytes at ``url`` downloaded now (at most ``max_bytes``). A download
    that fails is a Django ValidationError saying why (status, unreachable, too large)."""
    if not url:
        return file
    downloaded = io.BytesIO(image_download(url, max_bytes=max_bytes))
    path_name = posixpath.basename(urllib.parse.urlsplit(url).path)
    downloaded.name = get_valid_filename(path_name) if path_name.strip(". ") else "picture"
    return downloaded


@contextmanager
def errors_on(field: str, *keys: str) -> Iterator[None]:
    """Name ``field`` as the input at fault in a service's ValidationError that names no
    field, or names one of ``keys`` (the service's own name for that input)."""
    try:
        yield
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise DjangoValidationError({field: exc.error_list}) from None
        if not set(exc.error_dict) & set(keys):
            raise
        raise DjangoValidationError(
            {field if name in keys else name: errors for name, errors in exc.error_dict.items()}
        ) from None
