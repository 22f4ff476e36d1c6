"""Shapes of the reviews and polls API, and of the shopper's votes. Output serializers
read prefetched rows only; times are ISO 8601, vote shares decimal strings."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reviews.models import Poll, PollOption, Review, ReviewPhoto
from reviews.selectors import photo_url, vote_shares
from reviews.services import poll_is_open
from shops.api.fields import TextField, TrueOrFalseField, WholeNumberField
from shops.api.images import Base64ImageField, PictureSourceSerializer, UploadSerializer
from shops.media import ACCEPTED_HELP


class ReviewPhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="A 640 px wide rendition (or the file).")

    class Meta:
        model = ReviewPhoto
        fields = ["id", "url", "width", "height", "position"]
        read_only_fields = fields

    def get_url(self, photo: ReviewPhoto) -> str:
        request = self.context.get("request")
        url = photo_url(photo, 640)
        return request.build_absolute_uri(url) if request is not None and url else url


class ReplySerializer(serializers.Serializer):
    body = serializers.CharField(help_text="Shown under the review on the product page.")
    replied_at = serializers.DateTimeField()


class HelpfulVotesSerializer(serializers.Serializer):
    up = serializers.IntegerField()
    down = serializers.IntegerField()


class ReviewSerializer(serializers.ModelSerializer):
    product_id = serializers.IntegerField(read_only=True)
    flags = serializers.ListField(
        child=serializers.ChoiceField(choices=Review.Flag.choices),
        read_only=True,
        help_text="Automatic flags: a link, the same text as another review, a burst.",
    )
    photos = ReviewPhotoSerializer(many=True, read_only=True)
    helpful_votes = serializers.SerializerMethodField()
    reply = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = [
            "id",
            "product_id",
            "status",
            "rating",
            "title",
            "body",
            "display_name",
            "is_verified",
            "flags",
            "photos",
            "helpful_votes",
            "reply",
            "created",
        ]
        read_only_fields = fields

    @extend_schema_field(HelpfulVotesSerializer)
    def get_helpful_votes(self, review: Review) -> dict[str, int]:
        return {"up": review.helpful_up, "down": review.helpful_down}

    @extend_schema_field(ReplySerializer(allow_null=True))
    def get_reply(self, review: Review) -> dict | None:
        if not review.reply:
            return None
        return ReplySerializer({"body": review.reply, "replied_at": review.replied_at}).data


class ReviewFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Review.Status.choices, required=False)
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False)
    product = serializers.IntegerField(min_value=1, required=False, help_text="A product id.")
    verified = serializers.BooleanField(required=False, help_text="Verified buyers only (true).")
    created_after = serializers.DateTimeField(required=False, help_text="ISO 8601, inclusive.")
    created_before = serializers.DateTimeField(required=False, help_text="ISO 8601.")


class ModerateInputSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        default="",
        help_text="Kept in the review's moderation log.",
    )


class ReplyInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000, help_text="Plain text; shown escaped.")


# --- Polls --------------------------------------------------------------------------------


class PollOptionResultSerializer(serializers.ModelSerializer):
    product_id = serializers.IntegerField(allow_null=True, read_only=True)
    image = serializers.SerializerMethodField(help_text="The option's picture; empty if none.")
    votes = serializers.IntegerField(source="vote_count", read_only=True)
    percentage = serializers.CharField(
        read_only=True, help_text='Share of the votes, one decimal ("33.3"); "0.0" without votes.'
    )

    class Meta:
        model = PollOption
        fields = ["id", "text", "product_id", "image", "position", "votes", "percentage"]
        read_only_fields = fields

    def get_image(self, option: PollOption) -> str:
        if not option.image:
            return ""
        request = self.context.get("request")
        url = option.image.url
        return request.build_absolute_uri(url) if request is not None else url


class PollSerializer(serializers.ModelSerializer):
    is_open = serializers.SerializerMethodField()
    total_votes = serializers.SerializerMethodField()
    options = serializers.SerializerMethodField()

    class Meta:
        model = Poll
        fields = [
            "id",
            "question",
            "opens_at",
            "closes_at",
            "is_open",
            "total_votes",
            "options",
            "created",
        ]
        read_only_fields = fields

    def get_is_open(self, poll: Poll) -> bool:
        return poll_is_open(poll)

    def get_total_votes(self, poll: Poll) -> int:
        return sum(option.vote_count for option in poll.options.all())

    @extend_schema_field(PollOptionResultSerializer(many=True))
    def get_options(self, poll: Poll) -> list[dict]:
        options = list(poll.options.all())
        for option, share in zip(
            options, vote_shares([option.vote_count for option in options]), strict=True
        ):
            option.percentage = share
        return PollOptionResultSerializer(options, many=True, context=self.context).data


class PollOptionPictureSerializer(PictureSourceSerializer):
    content_base64 = Base64ImageField(
        max_bytes_setting="REVIEWS_PHOTO_MAX_BYTES",
        required=False,
        help_text=f"A {ACCEPTED_HELP} file, base64.",
    )


class PollOptionInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=120)
    product_id = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text="A product of this shop."
    )
    image = PollOptionPictureSerializer(
        required=False, allow_null=True, help_text="A picture: url (downloaded now) or base64."
    )


class PollOptionUploadSerializer(UploadSerializer):
    """A picture for an option: ``url`` (JSON) or ``file`` (multipart); the option's
    text is its alt text."""

    alt_text = None


class PollInputSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=200)
    opens_at = serializers.DateTimeField(required=False, help_text="ISO 8601; default now.")
    closes_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="ISO 8601; empty: open until closed."
    )
    options = PollOptionInputSerializer(many=True, help_text="2 to 10, in order.")


class PollFilterSerializer(serializers.Serializer):
    is_open = serializers.BooleanField(required=False, help_text="Open now (true) or not.")


# --- Shoppers' votes ----------------------------------------------------------------------

SHOPPER_KEEPS = (
    "The shopper's token: keep it (localStorage) and send it as X-Shopper-Token with the "
    "next vote, so this shopper votes as themselves and not as their address."
)


class ShopperTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=SHOPPER_KEEPS)


class ReviewVoteInputSerializer(serializers.Serializer):
    helpful = TrueOrFalseField(
        error_messages={
            "invalid": "Say whether the review was helpful (true or false).",
            "required": "Say whether the review was helpful (true or false).",
        },
    )


class ReviewVoteAnswerSerializer(serializers.Serializer):
    helpful = serializers.IntegerField(help_text="The review's helpful votes, this one counted.")
    not_helpful = serializers.IntegerField()
    token = serializers.CharField(help_text=SHOPPER_KEEPS)


class PollVoteInputSerializer(serializers.Serializer):
    option = WholeNumberField(min_value=1, help_text="One of the poll's options.")
    notify_email = TextField(
        cut_at=254, help_text="Optional: told at this address when the option launches."
    )
    email = TextField(
        cut_at=254,
        help_text="Needed in a poll that counts a vote once it is confirmed by email "
        "(`confirm_by_email`; without it: 400 `email_required`): the vote waits, and a "
        "link to confirm it is emailed to this address, which is not kept (only a keyed "
        "hash). Ignored in other polls.",
    )
    marketing_consent = serializers.BooleanField(
        required=False,
        default=False,
        help_text='The shopper ticked "Email me news, polls and review requests": '
        "`notify_email` is sent a link to confirm it (double opt-in). In the EU, EEA, UK, "
        "Switzerland and Canada the launch email needs that consent.",
    )


class PollResultSerializer(serializers.Serializer):
    option = serializers.IntegerField()
    votes = serializers.IntegerField()
    percent = serializers.IntegerField(help_text="Of all votes, rounded.")


class PollVoteAnswerSerializer(serializers.Serializer):
    voted = serializers.IntegerField(
        allow_null=True,
        help_text="The option this shopper voted for; null while the vote waits for its "
        "email confirmation.",
    )
    waiting_confirmation = serializers.BooleanField(
        help_text="The vote waits for the link emailed to `email`: it counts (and is in "
        "`results`) once the link is opened."
    )
    token = serializers.CharField(help_text=SHOPPER_KEEPS)
    results = PollResultSerializer(many=True)
