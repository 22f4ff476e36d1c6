"""Reviews and polls in the partner API. Moderation, replies, poll creation and closing
go through reviews.services exactly as in the admin (the decisions are logged, the shop
page cache retired, ``review.approved`` sent once per approval)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from reviews import services
from reviews.models import Poll, PollOption, Review, ReviewPhoto
from shops.api.base import ApiViewSet
from shops.api.errors import Conflict
from shops.api.filters import ApiOrderingFilter, QueryFiltersMixin
from shops.api.images import UPLOAD_PARSERS, errors_on, picture_file
from shops.api.models import ApiKey, Scope
from shops.api.reviews import serializers as s

Status = Review.Status


def _decided_by(request: Request):
    """The staff member behind a browser session; None for an API key (the note says)."""
    return None if isinstance(request.auth, ApiKey) else request.user


def _api_note(request: Request, note: str) -> str:
    if isinstance(request.auth, ApiKey):
        via = f"Through the API ({request.auth.prefix}…)"
        return f"{via}: {note}" if note else via
    return note


@extend_schema(tags=["reviews"])
@extend_schema_view(list=extend_schema(parameters=[s.ReviewFilterSerializer]))
class ReviewViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, QueryFiltersMixin, ApiViewSet
):
    """Shoppers' reviews with their photos, helpful votes and the merchant's reply.
    Newest first unless ``ordering`` says otherwise. The shopper's email is never shown."""

    model = Review
    serializer_class = s.ReviewSerializer
    read_scope = Scope.REVIEWS_READ
    write_scope = Scope.REVIEWS_WRITE
    filter_backends = [ApiOrderingFilter]
    ordering_fields = ["id", "created", "rating", "helpful_score"]
    ordering = ["-id"]

    filter_serializer = s.ReviewFilterSerializer
    filter_lookups = {
        "status": "status",
        "rating": "rating",
        "product": "product_id",
        "verified": "is_verified",
        "created_after": "created__gte",
        "created_before": "created__lt",
    }

    def scoped_queryset(self) -> QuerySet:
        return self.filtered(
            Review.objects.defer(
                "email", "author_token", "ip_hash", "network_hash"
            ).prefetch_related(
                Prefetch("photos", queryset=ReviewPhoto.objects.order_by("position", "id"))
            )
        )

    def _moderate(self, request: Request, status_to: str) -> Response:
        review = self.get_object()
        note = self.validated_input(s.ModerateInputSerializer).validated_data["note"]
        services.review_moderate(
            reviews=Review.objects.filter(pk=review.pk),
            status=status_to,
            decided_by=_decided_by(request),
            note=_api_note(request, note),
        )
        return self.object_response(review.pk)

    @extend_schema(request=s.ModerateInputSerializer, responses=s.ReviewSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        """Publish the review on the shop page (its rating counts from now on) and send
        ``review.approved``. Approving an approved review changes nothing."""
        return self._moderate(request, Status.APPROVED)

    @extend_schema(request=s.ModerateInputSerializer, responses=s.ReviewSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        """Refuse the review: shoppers never see it."""
        return self._moderate(request, Status.REJECTED)

    @extend_schema(request=s.ModerateInputSerializer, responses=s.ReviewSerializer)
    @action(detail=True, methods=["post"])
    def hide(self, request: Request, pk: str) -> Response:
        """Take the review off the shop page and back to the moderation queue
        (``pending``), e.g. while a complaint about it is looked into."""
        return self._moderate(request, Status.PENDING)

    @extend_schema(request=s.ModerateInputSerializer, responses=s.ReviewSerializer)
    @action(detail=True, methods=["post"])
    def spam(self, request: Request, pk: str) -> Response:
        """Mark the review as spam: shoppers never see it."""
        return self._moderate(request, Status.SPAM)

    @extend_schema(methods=["POST"], request=s.ReplyInputSerializer, responses=s.ReviewSerializer)
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(detail=True, methods=["post", "delete"])
    def reply(self, request: Request, pk: str) -> Response:
        """POST sets the merchant's public reply (creates or replaces it), shown under
        the review on the product page; DELETE removes it."""
        review = self.get_object()
        if request.method == "DELETE":
            services.review_reply(review=review, reply="")
            return Response(status=status.HTTP_204_NO_CONTENT)
        body = self.validated_input(s.ReplyInputSerializer).validated_data["body"]  # not blank
        services.review_reply(review=review, reply=body)
        return self.object_response(review.pk)


POLL_CONFLICT = {
    409: OpenApiResponse(
        description="The poll is closed already or has not opened yet (code "
        "`poll_not_open`), or the Idempotency-Key is in use."
    )
}


@extend_schema(tags=["polls"])
@extend_schema_view(list=extend_schema(parameters=[s.PollFilterSerializer]))
class PollViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, QueryFiltersMixin, ApiViewSet):
    """Polls with their results: votes per option, the total and each option's share."""

    model = Poll
    serializer_class = s.PollSerializer
    read_scope = Scope.POLLS_READ
    write_scope = Scope.POLLS_WRITE
    filter_backends = [ApiOrderingFilter]
    ordering_fields = ["id", "opens_at", "created"]
    ordering = ["-id"]

    filter_serializer = s.PollFilterSerializer
    filter_lookups = {"is_open": lambda is_open: _open_now() if is_open else ~_open_now()}

    def scoped_queryset(self) -> QuerySet:
        return self.filtered(
            Poll.objects.prefetch_related(
                Prefetch("options", queryset=PollOption.objects.order_by("position", "id"))
            )
        )

    @extend_schema(request=s.PollInputSerializer, responses={201: s.PollSerializer})
    def create(self, request: Request) -> Response:
        """A poll with 2 to 10 options, each optionally naming a product of this shop."""
        data = self.validated_input(s.PollInputSerializer).validated_data
        poll = services.poll_create(
            question=data["question"],
            options=[
                services.PollOptionInput(
                    text=option["text"],
                    product_id=option.get("product_id"),
                    image=_option_picture(option.get("image"), f"options[{index}].image"),
                )
                for index, option in enumerate(data["options"])
            ],
            opens_at=data.get("opens_at"),
            closes_at=data.get("closes_at"),
        )
        return self.object_response(poll.pk, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.PollSerializer, **POLL_CONFLICT})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        """Close the poll now: votes are refused from then on, the results are final."""
        poll = self.get_object()
        try:
            services.poll_close(poll=poll)
        except services.PollError as error:
            raise Conflict(str(error), code="poll_not_open") from None
        return self.object_response(poll.pk)

    @extend_schema(
        parameters=[OpenApiParameter("option_id", int, OpenApiParameter.PATH)],
        request={
            "application/json": s.PollOptionUploadSerializer,
            "multipart/form-data": s.PollOptionUploadSerializer,
        },
        responses=s.PollSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"options/(?P<option_id>[0-9]{1,18})/image",
        parser_classes=UPLOAD_PARSERS,
    )
    def option_image(self, request: Request, pk: str, option_id: str) -> Response:
        """Set (or replace) an option's picture: by ``url`` (downloaded now) or by
        multipart ``file`` upload. Votes are kept."""
        poll = self.get_object()
        option = PollOption.objects.filter(poll=poll, pk=option_id).first()
        if option is None:
            raise NotFound("This poll has no option with that id.")
        data = self.validated_input(s.PollOptionUploadSerializer).validated_data
        with errors_on("url" if data.get("url") else "file"):
            file = picture_file(
                url=data.get("url", ""),
                file=data.get("file"),
                max_bytes=settings.REVIEWS_PHOTO_MAX_BYTES,
            )
            services.poll_option_image_set(option=option, file=file)
        return self.object_response(poll.pk)


def _option_picture(picture: dict | None, field: str):
    """An option's picture as a file (one named by url downloaded now), or None."""
    if not picture:
        return None
    with errors_on(f"{field}.url"):
        return picture_file(
            url=picture.get("url", ""),
            file=picture.get("content_base64"),
            max_bytes=settings.REVIEWS_PHOTO_MAX_BYTES,
        )


def _open_now() -> Q:
    now = timezone.now()
    return Q(opens_at__lte=now) & (Q(closes_at__isnull=True) | Q(closes_at__gt=now))
