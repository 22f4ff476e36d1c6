"""Shoppable posts in the partner API: list, detail, create, update, delete, with their
pictures and product tags. Every write goes through shops.posts.services,
which checks the tags (products and variants of this shop, points inside the picture,
at most 20 per picture), the paid-partnership disclosure and the shopper's consent
before anything is written, as in the admin."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from shops.api.base import ApiViewSet
from shops.api.filters import ApiOrderingFilter, QueryFiltersMixin
from shops.api.images import UPLOAD_PARSERS, UploadSerializer, errors_on, picture_file
from shops.api.models import Scope
from shops.api.posts import serializers as s
from shops.posts import services
from shops.posts.models import Post, PostImage, PostTag, ShopperPhotoConsent


def _fields(data: dict) -> dict:
    """The services' post fields from the API's (``consent_id`` → ``consent``)."""
    fields = {name: data[name] for name in services.POST_FIELDS if name in data}
    if "consent_id" in data:
        consent_id = data["consent_id"]
        consent = (
            None
            if consent_id is None
            else ShopperPhotoConsent.objects.filter(pk=consent_id).first()
        )
        if consent_id is not None and consent is None:
            raise DjangoValidationError(
                {
                    "consent_id": DjangoValidationError(
                        f"Consent {consent_id} is not recorded in this shop.", code="does_not_exist"
                    )
                }
            )
        fields["consent"] = consent
    return fields


def _tags(tags: list[dict]) -> list[services.TagInput]:
    return [services.TagInput(**tag) for tag in tags]


def _images(images: list[dict], field: str) -> list[services.ImageInput]:
    """The pictures for the services, those sent by ``url`` downloaded now (a download
    that fails is a 400 naming ``<field>[<index>].url``)."""
    inputs = []
    for index, image in enumerate(images):
        with errors_on(f"{field}[{index}].url"):
            file = picture_file(
                url=image.get("url", ""),
                file=image.get("content_base64"),
                max_bytes=settings.POSTS_IMAGE_MAX_BYTES,
            )
        inputs.append(services.ImageInput(file=file, alt_text=image["alt_text"]))
    return inputs


@extend_schema(tags=["posts"])
@extend_schema_view(list=extend_schema(parameters=[s.PostFilterSerializer]))
class PostViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    QueryFiltersMixin,
    ApiViewSet,
):
    """Shoppable posts: pictures with product tags at points (x, y from 0 to 1 from the
    top left). Drafts included, newest first unless ``ordering`` says otherwise."""

    model = Post
    serializer_class = s.PostSerializer
    read_scope = Scope.POSTS_READ
    write_scope = Scope.POSTS_WRITE
    filter_backends = [ApiOrderingFilter]
    ordering_fields = ["id", "created", "updated", "published_at"]
    ordering = ["-id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    filter_serializer = s.PostFilterSerializer
    filter_lookups = {
        "status": "status",
        "source": "source",
        "product": lambda product_id: Exists(
            PostTag.objects.filter(image__post=OuterRef("pk"), product_id=product_id)
        ),
    }

    def scoped_queryset(self) -> QuerySet:
        return self.filtered(
            Post.objects.prefetch_related(
                Prefetch(
                    "images",
                    queryset=PostImage.objects.order_by("position", "id").prefetch_related(
                        Prefetch("tags", queryset=PostTag.objects.order_by("id"))
                    ),
                )
            )
        )

    @extend_schema(request=s.PostCreateSerializer, responses={201: s.PostSerializer})
    def create(self, request: Request) -> Response:
        """A post with its pictures (1 to 10) and each picture's tags."""
        data = self.validated_input(s.PostCreateSerializer).validated_data
        post = services.post_create(
            images=_images(data["images"], "images"),
            tags=[_tags(image["tags"]) for image in data["images"]],
            **_fields(data),
        )
        return self.object_response(post.pk, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=s.PostUpdateSerializer, responses=s.PostSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change fields, add pictures, remove pictures, replace some pictures' tags; all
        or nothing."""
        post = self.get_object()
        data = self.validated_input(s.PostUpdateSerializer).validated_data
        services.post_update(
            post=post,
            new_images=_images(data.get("add_images", []), "add_images"),
            new_image_tags=[_tags(image["tags"]) for image in data.get("add_images", [])],
            tags_by_image={
                item["image_id"]: _tags(item["tags"]) for item in data.get("image_tags", [])
            },
            remove_image_ids=data.get("remove_image_ids", []),
            confirm_label_removal=data.get("confirm_label_removal", False),
            **_fields(data),
        )
        return self.object_response(post.pk)

    def perform_destroy(self, instance: Post) -> None:
        services.post_delete(post=instance)

    @extend_schema(
        request={"application/json": UploadSerializer, "multipart/form-data": UploadSerializer},
        responses={201: s.PostImageSerializer},
    )
    @action(detail=True, methods=["post"], url_path="images", parser_classes=UPLOAD_PARSERS)
    def add_image(self, request: Request, pk: str) -> Response:
        """Add a picture at the end of the post: by ``url`` (downloaded now) or by
        multipart ``file`` upload. Tag it afterwards with PATCH ``image_tags``."""
        post = self.get_object()
        data = self.validated_input(UploadSerializer).validated_data
        with errors_on("url" if data.get("url") else "file", "images"):
            file = picture_file(
                url=data.get("url", ""),
                file=data.get("file"),
                max_bytes=settings.POSTS_IMAGE_MAX_BYTES,
            )
            services.post_update(
                post=post, new_images=[services.ImageInput(file=file, alt_text=data["alt_text"])]
            )
        image = post.images.order_by("-position", "-id").prefetch_related("tags").first()
        return Response(
            s.PostImageSerializer(image, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )
