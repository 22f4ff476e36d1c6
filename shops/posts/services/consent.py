"""Shopper photos: the recorded consent, and a post made from a shopper's photo."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from shops.posts.models import Post, ShopperPhotoConsent
from shops.posts.services.posts import ImageInput, post_create, row_id


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
    if review_photo_id is not None and row_id(review_photo_id) is None:
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
    *,
    consent: ShopperPhotoConsent,
    photo: ImageInput,
    caption: str = "",
    status: str = Post.Status.DRAFT,
) -> Post:
    """A draft post from a shopper's photo (copied into the post), credited to them."""
    return post_create(
        images=[photo],
        caption=caption,
        source=Post.Source.SHOPPER_PHOTO,
        consent=consent,
        status=status,
    )
