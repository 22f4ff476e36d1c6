"""Writes of shoppable posts, by topic: ``posts`` (posts, pictures, tags and their
validation), ``consent`` (shopper photos), ``click_through`` (counters, attribution,
scheduled posts). Every service validates all of its input before it writes anything."""

from shops.posts.services.click_through import (
    ATTRIBUTION_WINDOW,
    IMPRESSION,
    MAX_EVENTS_PER_BATCH,
    TAG_CLICK,
    VIEW_TOKEN,
    post_events_record,
    post_events_statement,
    post_order_attribute,
    posts_due_announce,
)
from shops.posts.services.consent import consent_record, post_from_shopper_photo
from shops.posts.services.posts import (
    POST_FIELDS,
    ImageInput,
    TagInput,
    post_create,
    post_delete,
    post_fields_clean,
    post_images_clean,
    post_tags_clean,
    post_tags_set,
    post_update,
    row_id,
)

__all__ = [
    "ATTRIBUTION_WINDOW",
    "IMPRESSION",
    "MAX_EVENTS_PER_BATCH",
    "POST_FIELDS",
    "TAG_CLICK",
    "VIEW_TOKEN",
    "ImageInput",
    "TagInput",
    "consent_record",
    "post_create",
    "post_delete",
    "post_events_record",
    "post_events_statement",
    "post_fields_clean",
    "post_from_shopper_photo",
    "post_images_clean",
    "post_order_attribute",
    "post_tags_clean",
    "post_tags_set",
    "post_update",
    "posts_due_announce",
    "row_id",
]
