"""Shapes of the posts API: posts with their pictures and product tags, and the
shopper's click-through beacon. Pictures are sent in JSON by ``url`` or as base64
(``content_base64``), or uploaded one at a time (``shops.api.images``), and cleaned by
the same pipeline as the admin's uploads; output serializers read prefetched rows only."""

from __future__ import annotations

from rest_framework import serializers

from shops.api.fields import TextField
from shops.api.images import PictureSourceSerializer
from shops.media import stored_image_url
from shops.posts.models import (
    MAX_IMAGES_PER_POST,
    MAX_TAGS_PER_IMAGE,
    Post,
    PostImage,
    PostTag,
)


class PostTagSerializer(serializers.ModelSerializer):
    product_id = serializers.IntegerField(
        allow_null=True, read_only=True, help_text="Null once the product is deleted."
    )
    variant_id = serializers.IntegerField(allow_null=True, read_only=True)

    class Meta:
        model = PostTag
        fields = ["id", "product_id", "variant_id", "product_title", "x", "y"]
        read_only_fields = fields


class PostImageSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="A 640 px wide rendition.")
    tags = PostTagSerializer(many=True, read_only=True)

    class Meta:
        model = PostImage
        fields = ["id", "url", "width", "height", "alt_text", "position", "tags"]
        read_only_fields = fields

    def get_url(self, image: PostImage) -> str:
        url = stored_image_url(image.stored, 640)
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None and url else url


class PostSerializer(serializers.ModelSerializer):
    consent_id = serializers.IntegerField(allow_null=True, read_only=True)
    permalink = serializers.CharField(
        read_only=True, help_text="The Instagram post's URL for an imported post, else empty."
    )
    images = PostImageSerializer(many=True, read_only=True)

    class Meta:
        model = Post
        fields = [
            "id",
            "caption",
            "status",
            "published_at",
            "source",
            "is_paid_partnership",
            "partner_name",
            "consent_id",
            "external_id",
            "permalink",
            "images",
            "created",
            "updated",
        ]
        read_only_fields = fields


class TagInputSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(min_value=1, help_text="A product of this shop.")
    variant_id = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text="One of that product's variants."
    )
    x = serializers.FloatField(min_value=0, max_value=1, help_text="From the left, 0 to 1.")
    y = serializers.FloatField(min_value=0, max_value=1, help_text="From the top, 0 to 1.")


class PostImageInputSerializer(PictureSourceSerializer):
    """A picture of a post: ``url`` (downloaded now) or ``content_base64``, its alt text
    and its tags."""

    alt_text = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    tags = TagInputSerializer(
        many=True, required=False, max_length=MAX_TAGS_PER_IMAGE, default=list
    )


class PostFieldsSerializer(serializers.Serializer):
    caption = serializers.CharField(max_length=2200, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=Post.Status.choices, required=False)
    published_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="ISO 8601; a published post without one: now."
    )
    source = serializers.ChoiceField(choices=Post.Source.choices, required=False)
    is_paid_partnership = serializers.BooleanField(required=False)
    partner_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    consent_id = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text="The shopper's recorded consent (required for a shopper_photo post).",
    )


class PostCreateSerializer(PostFieldsSerializer):
    images = PostImageInputSerializer(
        many=True, min_length=1, max_length=MAX_IMAGES_PER_POST, help_text="In order."
    )


class ImageTagsInputSerializer(serializers.Serializer):
    image_id = serializers.IntegerField(min_value=1)
    tags = TagInputSerializer(many=True, max_length=MAX_TAGS_PER_IMAGE)


class PostUpdateSerializer(PostFieldsSerializer):
    confirm_label_removal = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Required (true) to set is_paid_partnership false on a post published "
        "as a paid partnership; the removal is recorded in the audit log.",
    )
    add_images = PostImageInputSerializer(
        many=True, required=False, max_length=MAX_IMAGES_PER_POST, help_text="Added at the end."
    )
    remove_image_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=MAX_IMAGES_PER_POST
    )
    image_tags = ImageTagsInputSerializer(
        many=True,
        required=False,
        max_length=MAX_IMAGES_PER_POST,
        help_text="Replaces the tags of each picture named.",
    )


class PostFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Post.Status.choices, required=False)
    source = serializers.ChoiceField(choices=Post.Source.choices, required=False)
    product = serializers.IntegerField(
        min_value=1, required=False, help_text="Posts tagging this product."
    )


# --- The click-through beacon (shoppers) ----------------------------------------------

BEACON_SHAPE = 'Send {{"view": …, "events": [{{"post": id, "kind": …}}]}}.'  # str.format'd


class BeaconEventsField(serializers.ListField):
    default_error_messages = {"invalid": BEACON_SHAPE, "required": BEACON_SHAPE}

    def to_internal_value(self, data: object) -> list:
        if not isinstance(data, list):
            self.fail("invalid")
        return super().to_internal_value(data)


class PostEventsSerializer(serializers.Serializer):
    """A page view's impressions and tag clicks."""

    default_error_messages = {"invalid": BEACON_SHAPE}

    view = TextField(cut_at=64, help_text="The page view's random token (posts.js).")
    events = BeaconEventsField(
        child=serializers.JSONField(),
        help_text='Each {"post": <post id>, "kind": "impression" or "click"}; events of '
        "unknown or unpublished posts, other kinds and anything else are dropped, and "
        "only the first 100 are read. Each (post, kind) counts once per request.",
    )
