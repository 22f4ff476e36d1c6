"""Fixtures and helpers of the shoppable posts tests."""

from __future__ import annotations

import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from shops.storefront.posts import services
from shops.storefront.posts.models import Post
from tests.orders.conftest import localstripe, selling_a, stripe_settings  # noqa: F401 (fixtures)


def picture(name: str = "look.png", size: tuple[int, int] = (600, 400), colour: str = "teal"):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def tag(product, x: float = 0.5, y: float = 0.5, variant_id=None) -> services.TagInput:
    return services.TagInput(product_id=product.id, x=x, y=y, variant_id=variant_id)


def published_post(*products, caption: str = "Summer look", **fields) -> Post:
    """A published post (publish time a minute ago) with one picture tagging ``products``."""
    fields.setdefault("published_at", timezone.now() - timedelta(minutes=1))
    return services.post_create(
        images=[services.ImageInput(file=picture(), alt_text="A summer look")],
        tags=[[tag(product, 0.1 + 0.15 * index, 0.3) for index, product in enumerate(products)]],
        caption=caption,
        status=Post.Status.PUBLISHED,
        **fields,
    )


def stored_files(root) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
