"""Writes of shoppable posts: posts, their pictures and product tags, shopper-photo
consent, click-through counters and purchase attribution.

Every service validates all of its input before it writes anything, and writes in one
transaction: a bad tag, picture or disclosure leaves the post as it was. A change to a
published post (or one being published or unpublished) retires the shop page cache when
it commits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from catalog.images import CleanImage, delete_files_on_commit
from catalog.models import Product, Variant
from shops.storefront.cache import shop_page_changed
from shops.storefront.images import clean_image_save, storefront_image_clean
from shops.storefront.posts.models import (
    MAX_IMAGES_PER_POST,
    MAX_TAGS_PER_IMAGE,
    Post,
    PostDailyStats,
    PostImage,
    PostOrderAttribution,
    PostTag,
    ShopperPhotoConsent,
)

POST_FIELDS = (
    "caption",
    "status",
    "published_at",
    "source",
    "is_paid_partnership",
    "partner_name",
    "consent",
)
VIEW_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_EVENTS_PER_BATCH = 100


@dataclass(frozen=True)
class TagInput:
    """A tag as the editor or a caller sends it: a product (and optionally one of its
    variants) at x, y from 0 to 1 from the picture's top left."""

    product_id: int
    x: float
    y: float
    variant_id: int | None = None


@dataclass(frozen=True)
class ImageInput:
    """A picture for a post: an uploaded file (or bytes) and its alt text."""

    file: object
    alt_text: str = ""


# --- Validation ---------------------------------------------------------------------------


def post_fields_clean(*, fields: Mapping, post: Post | None = None) -> dict:
    """The post's fields (``POST_FIELDS``; missing ones from ``post``) checked together;
    raises a ValidationError keyed by field."""
    unknown = set(fields) - set(POST_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown post fields: {', '.join(sorted(unknown))}.")
    values = {name: getattr(post, name) for name in POST_FIELDS} if post else {}
    values.setdefault("caption", "")
    values.setdefault("status", Post.Status.DRAFT)
    values.setdefault("published_at", None)
    values.setdefault("source", Post.Source.MERCHANT)
    values.setdefault("is_paid_partnership", False)
    values.setdefault("partner_name", "")
    values.setdefault("consent", None)
    values.update(fields)
    values["caption"] = (values["caption"] or "").strip()
    values["partner_name"] = (values["partner_name"] or "").strip()
    errors: dict[str, list[str]] = {}
    if len(values["caption"]) > 2200:
        errors.setdefault("caption", []).append("A caption is at most 2,200 characters.")
    if values["status"] not in Post.Status.values:
        errors.setdefault("status", []).append("A post is a draft or published.")
    if values["source"] not in Post.Source.values:
        errors.setdefault("source", []).append("Unknown source.")
    if values["is_paid_partnership"] and not values["partner_name"]:
        errors.setdefault("partner_name", []).append(
            "Name the partner of a paid partnership: shoppers are shown who paid for the post."
        )
    if len(values["partner_name"]) > 120:
        errors.setdefault("partner_name", []).append("A partner name is at most 120 characters.")
    if values["source"] == Post.Source.SHOPPER_PHOTO and values["consent"] is None:
        errors.setdefault("consent", []).append(
            "A shopper's photo becomes a post only with their recorded consent: "
            "record it first, then pick it here."
        )
    consent = values["consent"]
    if consent is not None and values["source"] != Post.Source.SHOPPER_PHOTO:
        errors.setdefault("consent", []).append("Only a shopper photo carries a consent.")
    if consent is not None and consent.pk is not None:
        taken = Post.objects.filter(consent=consent).exclude(pk=post.pk if post else None)
        if taken.exists():
            errors.setdefault("consent", []).append("This consent is already used by a post.")
    if values["status"] == Post.Status.PUBLISHED and values["published_at"] is None:
        values["published_at"] = timezone.now()
    if errors:
        raise ValidationError(errors)
    return values


def post_images_clean(*, images: Sequence[ImageInput], existing: int = 0) -> list[CleanImage]:
    """Each picture checked and cleaned by the catalog's pipeline (nothing stored yet);
    a ValidationError names the picture that failed."""
    if existing + len(images) > MAX_IMAGES_PER_POST:
        raise ValidationError(
            {"images": f"A post has at most {MAX_IMAGES_PER_POST} pictures."}, code="too_many"
        )
    cleaned = []
    for number, image in enumerate(images, start=existing + 1):
        label = getattr(image.file, "name", "") or f"Picture {number}"
        try:
            cleaned.append(
                storefront_image_clean(
                    file=image.file, label=label, max_bytes=settings.POSTS_IMAGE_MAX_BYTES
                )
            )
        except ValidationError as error:
            raise ValidationError({"images": error.messages}, code=error.code) from None
        if len((image.alt_text or "").strip()) > 255:
            raise ValidationError({"images": f"{label}: alt text is at most 255 characters."})
    return cleaned


def _number(value: object, name: str, index: int) -> float:
    if isinstance(value, bool):
        raise ValidationError(f"Tag {index}: {name} is a number from 0 to 1.", code="tag_position")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationError(
            f"Tag {index}: {name} is a number from 0 to 1.", code="tag_position"
        ) from None
    if not math.isfinite(number) or not 0 <= number <= 1:
        raise ValidationError(
            f"Tag {index}: {name} = {value} is outside the picture (0 to 1).", code="tag_position"
        )
    return number


def _row_id(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**63 else None
    if isinstance(value, str) and value.strip().isdigit():
        return _row_id(int(value.strip()))
    return None


def post_tags_clean(*, tags: Sequence[TagInput]) -> list[dict]:
    """Tags checked for one picture: at most ``MAX_TAGS_PER_IMAGE``, points inside the
    picture, products (and variants of them) of this shop. Returns the rows' values.
    Raises a ValidationError saying which tag is wrong."""
    if len(tags) > MAX_TAGS_PER_IMAGE:
        raise ValidationError(
            f"A picture has at most {MAX_TAGS_PER_IMAGE} product tags ({len(tags)} given): "
            "Instagram allows no more.",
            code="too_many_tags",
        )
    rows = []
    for index, tag in enumerate(tags, start=1):
        x, y = _number(tag.x, "x", index), _number(tag.y, "y", index)
        product_id = _row_id(tag.product_id)
        if product_id is None:
            raise ValidationError(f"Tag {index}: pick a product.", code="tag_product")
        variant_id = None if tag.variant_id in (None, "") else _row_id(tag.variant_id)
        if tag.variant_id not in (None, "") and variant_id is None:
            raise ValidationError(f"Tag {index}: unknown variant.", code="tag_variant")
        rows.append({"product_id": product_id, "variant_id": variant_id, "x": x, "y": y})
    products = Product.objects.in_bulk({row["product_id"] for row in rows})
    variants = Variant.objects.in_bulk({row["variant_id"] for row in rows if row["variant_id"]})
    for index, row in enumerate(rows, start=1):
        product = products.get(row["product_id"])
        if product is None:
            raise ValidationError(
                f"Tag {index}: product {row['product_id']} is not in this shop.",
                code="tag_product",
            )
        row["product_title"] = product.title[:255]
        if row["variant_id"] is not None:
            variant = variants.get(row["variant_id"])
            if variant is None or variant.product_id != product.id:
                raise ValidationError(
                    f"Tag {index}: that variant is not one of {product.title}'s.",
                    code="tag_variant",
                )
    return rows


# --- Posts --------------------------------------------------------------------------------


def _saved_files(reference: dict) -> set[str]:
    return {reference["name"], *reference["renditions"].values()}


def _images_store(post: Post, cleaned: Sequence[CleanImage], inputs: Sequence[ImageInput]) -> None:
    """Save the cleaned files, then their rows. The pictures were checked before any
    write; should a row still fail, the files saved so far are deleted again."""
    start = max((image.position for image in post.images.all()), default=-1) + 1
    saved: set[str] = set()
    try:
        for offset, (clean, image_input) in enumerate(zip(cleaned, inputs, strict=True)):
            reference = clean_image_save(clean, folder="posts")
            saved |= _saved_files(reference)
            PostImage.objects.create(
                post=post,
                name=reference["name"],
                width=reference["width"],
                height=reference["height"],
                renditions=reference["renditions"],
                alt_text=(image_input.alt_text or "").strip(),
                position=start + offset,
            )
    except Exception:
        for name in saved:
            default_storage.delete(name)
        raise


def _shown(post: Post) -> bool:
    return post.status == Post.Status.PUBLISHED


@transaction.atomic
def post_create(
    *,
    images: Sequence[ImageInput],
    tags: Sequence[Sequence[TagInput]] = (),
    external_id: str = "",
    permalink: str = "",
    **fields,
) -> Post:
    """A post with its pictures (at least one) and, per picture in order, its tags.

    ``fields`` are ``POST_FIELDS``. Raises a ValidationError (keyed by field, ``images``
    or ``tags``) before anything is written."""
    values = post_fields_clean(fields=fields)
    if not images:
        raise ValidationError({"images": "A post needs at least one picture."})
    if len(tags) > len(images):
        raise ValidationError({"tags": "Tags were given for a picture the post does not have."})
    cleaned_tags = _tags_by_position(tags)
    cleaned = post_images_clean(images=images)
    post = Post.objects.create(**values, external_id=external_id, permalink=permalink)
    _images_store(post, cleaned, images)
    for image, rows in zip(post.images.order_by("position"), cleaned_tags, strict=False):
        PostTag.objects.bulk_create(PostTag(image=image, **row) for row in rows)
    if _shown(post):
        shop_page_changed()
    return post


def _tags_by_position(tags: Sequence[Sequence[TagInput]]) -> list[list[dict]]:
    cleaned = []
    for number, image_tags in enumerate(tags, start=1):
        try:
            cleaned.append(post_tags_clean(tags=image_tags))
        except ValidationError as error:
            raise ValidationError({"tags": f"Picture {number}: {error.messages[0]}"}) from None
    return cleaned


@transaction.atomic
def post_update(
    *,
    post: Post,
    new_images: Sequence[ImageInput] = (),
    tags_by_image: Mapping[int, Sequence[TagInput]] | None = None,
    remove_image_ids: Iterable[int] = (),
    **fields,
) -> Post:
    """Change a post's fields, add pictures, replace the tags of some of its pictures
    (``{image id: tags}``) and remove pictures, all or nothing."""
    locked = Post.objects.select_for_update().get(pk=post.pk)
    was_shown = _shown(locked)
    values = post_fields_clean(fields=fields, post=locked)
    own_images = {image.id: image for image in locked.images.all()}
    remove = {int(image_id) for image_id in remove_image_ids}
    if remove - set(own_images):
        raise ValidationError({"images": "That picture is not one of this post's."})
    tags_by_image = dict(tags_by_image or {})
    if set(tags_by_image) - set(own_images):
        raise ValidationError({"tags": "Tags were given for a picture of another post."})
    cleaned_tags: dict[int, list[dict]] = {}
    for position, (image_id, tags) in enumerate(sorted(tags_by_image.items()), start=1):
        try:
            cleaned_tags[image_id] = post_tags_clean(tags=tags)
        except ValidationError as error:
            raise ValidationError({"tags": f"Picture {position}: {error.messages[0]}"}) from None
    remaining = len(own_images) - len(remove)
    cleaned = post_images_clean(images=new_images, existing=remaining)
    if remaining + len(cleaned) == 0:
        raise ValidationError({"images": "A post needs at least one picture."})

    for name, value in values.items():
        setattr(locked, name, value)
    locked.save()
    for image_id, rows in cleaned_tags.items():
        if image_id in remove:
            continue
        PostTag.objects.filter(image_id=image_id).delete()
        PostTag.objects.bulk_create(PostTag(image_id=image_id, **row) for row in rows)
    if remove:
        names: set[str] = set()
        for image_id in remove:
            names |= _saved_files(own_images[image_id].stored)
        PostImage.objects.filter(id__in=remove).delete()
        delete_files_on_commit(names)
    if cleaned:
        _images_store(locked, cleaned, new_images)
    if was_shown or _shown(locked):
        shop_page_changed()
    post.__dict__.update(locked.__dict__)
    return locked


@transaction.atomic
def post_tags_set(*, image: PostImage, tags: Sequence[TagInput]) -> list[PostTag]:
    """Replace the tags of one picture (validated first: nothing changes on an error)."""
    post = image.post
    rows = post_tags_clean(tags=tags)
    PostImage.objects.select_for_update().filter(pk=image.pk).first()
    PostTag.objects.filter(image=image).delete()
    created = PostTag.objects.bulk_create(PostTag(image=image, **row) for row in rows)
    if _shown(post):
        shop_page_changed()
    return created


@transaction.atomic
def post_delete(*, post: Post) -> None:
    """Delete a post, its pictures' files (once committed) and its counters. The consent
    record stays: it is the evidence of what the shopper agreed to."""
    names: set[str] = set()
    for image in post.images.all():
        names |= _saved_files(image.stored)
    was_shown = _shown(post)
    post.delete()
    delete_files_on_commit(names)
    if was_shown:
        shop_page_changed()


# --- Shopper photos -----------------------------------------------------------------------


def consent_record(
    *,
    shopper_display_name: str,
    given_at: datetime,
    purpose: str,
    recorded_by: object | None,
    shopper_contact: str = "",
    review_photo_id: int | None = None,
) -> ShopperPhotoConsent:
    """Record that a shopper agreed to their photo being shown (who, when, what for, and
    which staff member recorded it). Raises a ValidationError for a missing answer."""
    errors: dict[str, str] = {}
    name, purpose = (shopper_display_name or "").strip(), (purpose or "").strip()
    if not name:
        errors["shopper_display_name"] = "Give the name the post will credit."
    if len(name) > 120:
        errors["shopper_display_name"] = "A display name is at most 120 characters."
    if not purpose:
        errors["purpose"] = "Say what the shopper agreed to (for example “shop page posts”)."
    if given_at is None or given_at > timezone.now():
        errors["given_at"] = "Consent is recorded after it was given: give a past time."
    if review_photo_id is not None and _row_id(review_photo_id) is None:
        errors["review_photo_id"] = "Unknown review photo."
    if errors:
        raise ValidationError(errors)
    return ShopperPhotoConsent.objects.create(
        shopper_display_name=name,
        shopper_contact=(shopper_contact or "").strip()[:254],
        given_at=given_at,
        purpose=purpose[:255],
        review_photo_id=review_photo_id,
        recorded_by=recorded_by,
    )


def post_from_shopper_photo(
    *, consent: ShopperPhotoConsent, photo: ImageInput, caption: str = "", **fields
) -> Post:
    """A draft post from a shopper's photo (copied into the post), credited to them."""
    return post_create(
        images=[photo],
        caption=caption,
        source=Post.Source.SHOPPER_PHOTO,
        consent=consent,
        **fields,
    )


# --- Click-through ------------------------------------------------------------------------

IMPRESSION, TAG_CLICK = "impression", "click"


def post_events_record(*, events: Iterable[tuple[object, str]], day: date | None = None) -> int:
    """Count impressions and tag clicks: ``events`` are ``(post id, "impression" or
    "click")``. Each (post, kind) counts once per call (one page view); ids of unknown or
    unpublished posts are dropped. One statement, whatever the number of posts: an
    ``INSERT … SELECT … ON CONFLICT DO UPDATE`` adding to the (post, day) rows. Returns
    how many posts' rows were written."""
    counts: dict[int, list[int]] = {}
    for raw_id, kind in list(events)[:MAX_EVENTS_PER_BATCH]:
        post_id = _row_id(raw_id)
        if post_id is None or kind not in (IMPRESSION, TAG_CLICK):
            continue
        row = counts.setdefault(post_id, [0, 0])
        row[0 if kind == IMPRESSION else 1] = 1
    if not counts:
        return 0
    day = day or timezone.localdate()
    stats, posts = PostDailyStats._meta.db_table, Post._meta.db_table
    ids = list(counts)
    sql = f"""
        INSERT INTO {stats} (post_id, day, impressions, tag_clicks)
        SELECT p.id, %s, e.impressions, e.tag_clicks
        FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS e(post_id, impressions, tag_clicks)
        JOIN {posts} p ON p.id = e.post_id AND p.status = 'published'
        ON CONFLICT (post_id, day) DO UPDATE SET
            impressions = {stats}.impressions + EXCLUDED.impressions,
            tag_clicks = {stats}.tag_clicks + EXCLUDED.tag_clicks
    """  # noqa: S608 (table names from the models, values as parameters)
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [day, ids, [counts[i][0] for i in ids], [counts[i][1] for i in ids]],
        )
        return cursor.rowcount


def post_order_attribute(*, order: object, post_id: object, view_token: object) -> bool:
    """Link an order to the post whose tag the shopper clicked (``post_id`` and the page
    view's token came with the buy-now request). Attribution never costs a sale: a
    malformed token or an unknown or unpublished post records nothing (returns False)."""
    post_id = _row_id(post_id)
    if post_id is None or not isinstance(view_token, str) or not VIEW_TOKEN.match(view_token):
        return False
    if not Post.objects.filter(id=post_id, status=Post.Status.PUBLISHED).exists():
        return False
    PostOrderAttribution.objects.create(order=order, post_id=post_id, view_token=view_token)
    return True


def posts_due_announce(*, window: timedelta, now: datetime | None = None) -> bool:
    """Retire the cached shop page if a published post's publish time came within the
    last ``window`` (run by the beat every minute, per shop): a scheduled post shows up
    without waiting for the cache's timeout. Returns whether the page was retired."""
    now = now or timezone.now()
    due = Post.objects.filter(
        status=Post.Status.PUBLISHED, published_at__gt=now - window, published_at__lte=now
    )
    if not due.exists():
        return False
    shop_page_changed()
    return True
