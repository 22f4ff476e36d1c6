"""Writes of posts, their pictures and product tags.

Every service validates all of its input before it writes anything, and writes in one
transaction: a bad tag, picture or disclosure leaves the post as it was. A change to a
published post (or one being published or unpublished) retires the shop page cache when
it commits.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from catalog.models import Product, Variant
from shops.audit.services import audit_record
from shops.media import (
    CleanImage,
    clean_image_save,
    delete_files_on_commit,
    image_upload_clean,
    media_file_names,
)
from shops.page_cache import shop_page_changed
from shops.posts.models import (
    MAX_IMAGES_PER_POST,
    MAX_TAGS_PER_IMAGE,
    Post,
    PostImage,
    PostTag,
    ShopperPhotoConsent,
)
from shops.unset import UNSET, Unset, given

POST_FIELDS = (
    "caption",
    "status",
    "published_at",
    "source",
    "is_paid_partnership",
    "partner_name",
    "consent",
)


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


def post_was_published_sponsored(post: Post | None) -> bool:
    """True when shoppers may have seen ``post`` as a paid partnership: it is marked and
    was published with the mark (a return to draft does not forget it)."""
    return bool(post and post.is_paid_partnership and post.paid_partnership_shown_at)


def _paid_partnership_shown_at(values: dict, post: Post | None) -> datetime | None:
    """The post's ``paid_partnership_shown_at`` after a save of ``values``: set when it is
    first published as a paid partnership, cleared only with the label."""
    if not values["is_paid_partnership"]:
        return None
    if post is not None and post.paid_partnership_shown_at:
        return post.paid_partnership_shown_at
    return timezone.now() if values["status"] == Post.Status.PUBLISHED else None


def post_fields_clean(
    *, fields: Mapping, post: Post | None = None, confirm_label_removal: bool = False
) -> dict:
    """The post's fields (``POST_FIELDS``; missing ones from ``post``) checked together;
    raises a ValidationError keyed by field.

    The paid-partnership label of a post published with it is removed only with
    ``confirm_label_removal`` (and post_update records it in the audit log): shoppers were
    told someone paid for the post, and a label that silently disappears would hide
    advertising. It is not refused outright, as a post marked by mistake must be
    correctable."""
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
    if (
        post_was_published_sponsored(post)
        and not values["is_paid_partnership"]
        and not confirm_label_removal
    ):
        errors.setdefault("is_paid_partnership", []).append(
            f"This post was published as a paid partnership with {post.partner_name}: "
            "shoppers were told about it. To remove the label, confirm the removal "
            "(it is recorded in the audit log)."
        )
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
    """Each picture checked and cleaned by the media pipeline (nothing stored yet);
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
                image_upload_clean(
                    file=image.file, label=label, max_bytes=settings.POSTS_IMAGE_MAX_BYTES
                )
            )
        except ValidationError as error:  # keyed, keeping the pipeline's code
            raise ValidationError(
                {"images": ValidationError(error.messages[0], code=error.code)}
            ) from None
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


def row_id(value: object) -> int | None:
    """``value`` as a row id (a positive bigint, from an int or digits), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**63 else None
    if isinstance(value, str) and value.strip().isdigit():
        return row_id(int(value.strip()))
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
        product_id = row_id(tag.product_id)
        if product_id is None:
            raise ValidationError(f"Tag {index}: pick a product.", code="tag_product")
        variant_id = None if tag.variant_id in (None, "") else row_id(tag.variant_id)
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
    return media_file_names(reference["name"], reference["renditions"])


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
    caption: str = "",
    status: str = Post.Status.DRAFT,
    published_at: datetime | None = None,
    source: str = Post.Source.MERCHANT,
    is_paid_partnership: bool = False,
    partner_name: str = "",
    consent: ShopperPhotoConsent | None = None,
) -> Post:
    """A post with its pictures (at least one) and, per picture in order, its tags.

    Raises a ValidationError (keyed by field, ``images`` or ``tags``) before anything is
    written."""
    values = post_fields_clean(
        fields={
            "caption": caption,
            "status": status,
            "published_at": published_at,
            "source": source,
            "is_paid_partnership": is_paid_partnership,
            "partner_name": partner_name,
            "consent": consent,
        }
    )
    if not images:
        raise ValidationError({"images": "A post needs at least one picture."})
    if len(tags) > len(images):
        raise ValidationError({"tags": "Tags were given for a picture the post does not have."})
    cleaned_tags = _tags_by_position(tags)
    cleaned = post_images_clean(images=images)
    post = Post.objects.create(
        **values,
        paid_partnership_shown_at=_paid_partnership_shown_at(values, None),
        external_id=external_id,
        permalink=permalink,
    )
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
    new_image_tags: Sequence[Sequence[TagInput]] = (),
    tags_by_image: Mapping[int, Sequence[TagInput]] | None = None,
    remove_image_ids: Iterable[int] = (),
    caption: str | Unset = UNSET,
    status: str | Unset = UNSET,
    published_at: datetime | Unset | None = UNSET,
    source: str | Unset = UNSET,
    is_paid_partnership: bool | Unset = UNSET,
    partner_name: str | Unset = UNSET,
    consent: ShopperPhotoConsent | Unset | None = UNSET,
    confirm_label_removal: bool = False,
) -> Post:
    """Change a post's fields (those left UNSET keep their value), add pictures
    (``new_image_tags``: their tags, in order), replace the tags of some of its pictures
    (``{image id: tags}``) and remove pictures, all or nothing.

    A change to the disclosure of a post published as a paid partnership is recorded
    in the audit log; removing its label needs ``confirm_label_removal``."""
    locked = Post.objects.select_for_update().get(pk=post.pk)
    was_shown = _shown(locked)
    fields = given(
        {
            "caption": caption,
            "status": status,
            "published_at": published_at,
            "source": source,
            "is_paid_partnership": is_paid_partnership,
            "partner_name": partner_name,
            "consent": consent,
        }
    )
    values = post_fields_clean(
        fields=fields, post=locked, confirm_label_removal=confirm_label_removal
    )
    disclosure = {
        name: (getattr(locked, name), values[name])
        for name in ("is_paid_partnership", "partner_name")
        if getattr(locked, name) != values[name]
    }
    if disclosure and post_was_published_sponsored(locked):
        audit_record(
            action="post.paid_partnership"
            if values["is_paid_partnership"]
            else "post.paid_partnership_removed",
            target=locked,
            changes=disclosure,
        )
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
    if len(new_image_tags) > len(new_images):
        raise ValidationError({"tags": "Tags were given for a picture the post does not have."})
    cleaned_new_tags = _tags_by_position(new_image_tags)
    remaining = len(own_images) - len(remove)
    cleaned = post_images_clean(images=new_images, existing=remaining)
    if remaining + len(cleaned) == 0:
        raise ValidationError({"images": "A post needs at least one picture."})

    shown_at = _paid_partnership_shown_at(values, locked)
    for name, value in values.items():
        setattr(locked, name, value)
    locked.paid_partnership_shown_at = shown_at
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
        added = list(locked.images.order_by("-position")[: len(cleaned)])[::-1]
        for image, rows in zip(added, cleaned_new_tags, strict=False):
            PostTag.objects.bulk_create(PostTag(image=image, **row) for row in rows)
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
