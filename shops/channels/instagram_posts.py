"""Import an Instagram account's recent posts as draft shoppable posts.

The account's connection (its id and token) belongs to the channels work; this takes a
ready ``InstagramClient``. Pictures are downloaded with the media pipeline's fetcher
(timeout, size limit, no private addresses) and go through the same pipeline as uploads.
A post already imported (same Instagram media id) is skipped, so an import can be re-run.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError

from shops.channels.clients.instagram import InstagramClient
from shops.media import image_download
from shops.posts import services
from shops.posts.models import MAX_IMAGES_PER_POST, Post


@dataclass
class ImportResult:
    created: list[int] = field(default_factory=list)  # new draft posts' ids
    skipped: int = 0  # already imported, or videos (no picture to show)
    failed: list[str] = field(default_factory=list)  # "<media id>: <why>"


def posts_import_instagram(*, client: InstagramClient, limit: int = 25) -> ImportResult:
    """Import the account's ``limit`` most recent media as drafts (source "imported").

    The client's errors (``shops.channels.clients.ChannelError``) propagate: nothing is
    half-imported, each post is saved whole or not at all."""
    result = ImportResult()
    media = client.recent_media(limit=limit)
    known = set(
        Post.objects.filter(external_id__in=[item.id for item in media]).values_list(
            "external_id", flat=True
        )
    )
    for item in media:
        if not item.id or item.id in known or not item.image_urls:
            result.skipped += 1
            continue
        try:
            images = []
            for number, url in enumerate(item.image_urls[:MAX_IMAGES_PER_POST], start=1):
                data = io.BytesIO(image_download(url))
                data.name = f"Instagram picture {number}"
                images.append(services.ImageInput(file=data))
            post = services.post_create(
                images=images,
                caption=item.caption[:2200],
                source=Post.Source.IMPORTED,
                status=Post.Status.DRAFT,
                external_id=item.id[:64],
                permalink=item.permalink[:500],
            )
        except ValidationError as error:
            result.failed.append(f"{item.id}: {error.messages[0]}")
            continue
        except IntegrityError:  # imported by a concurrent run meanwhile
            result.skipped += 1
            continue
        result.created.append(post.id)
    return result
