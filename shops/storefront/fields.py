"""Form fields shared by the section types' settings forms."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError

# a place on the same page: a section's id (``#a1b2c3d4``) or a named one (``#products``)
PAGE_ANCHOR = re.compile(r"#[A-Za-z0-9][\w-]{0,80}")


class LinkField(forms.CharField):
    """A link a shopper may follow: a place on the same page (``#products``,
    ``#reviews``, a section's id), a path on the shop (``/products/tee/``) or an http(s)
    address. Anything else (``javascript:``, ``data:``) is refused."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 500)
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            "A section of the page (#products, #reviews), a page of the shop (/products/…) "
            "or a web address.",
        )
        super().__init__(**kwargs)

    def validate(self, value: str) -> None:
        super().validate(value)
        if not value:
            return
        if value.startswith("/") and not value.startswith("//"):
            return
        if PAGE_ANCHOR.fullmatch(value):
            return
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValidationError(
                "Give a section of this page like #products, a page of the shop starting "
                "with / or a web address starting with https://.",
                code="link",
            )


def text_field(
    label: str, *, max_length: int = 200, required: bool = False, **kwargs
) -> forms.CharField:
    return forms.CharField(label=label, max_length=max_length, required=required, **kwargs)


def count_field(label: str, *, minimum: int, maximum: int, initial: int) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, min_value=minimum, max_value=maximum, initial=initial, required=False
    )
