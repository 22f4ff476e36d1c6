"""The merchant's moderation queue, review settings and polls. Thin: every change goes
through ``reviews.services`` (decisions are recorded with who and when)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import redirect
from django.utils.html import format_html_join

from reviews.models import (
    Poll,
    PollAnomaly,
    PollOption,
    Review,
    ReviewDecision,
    ReviewSettings,
)
from reviews.selectors import photo_url
from reviews.services import (
    ReviewError,
    poll_launch_notify_on_commit,
    review_delete,
    review_edit,
    review_moderate,
    review_reply,
    review_settings_get,
)
from reviews.services.photos import picture_clean_upload
from shops.page_cache import shop_page_changed

Status = Review.Status


class ReviewDecisionInline(admin.TabularInline):
    model = ReviewDecision
    extra = 0
    can_delete = False
    fields = ("status", "decided_by", "is_automatic", "note", "decided_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class FlagFilter(admin.SimpleListFilter):
    title = "flag"
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return [("any", "Any flag"), *Review.Flag.choices]

    def queryset(self, request, queryset):
        if self.value() == "any":
            return queryset.exclude(flags=[])
        if self.value() in Review.Flag.values:
            return queryset.filter(flags__contains=[self.value()])
        return queryset


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "product",
        "rating",
        "status",
        "is_verified",
        "flag_list",
        "display_name",
        "helpful_up",
        "helpful_down",
        "created",
    )
    list_filter = ("status", FlagFilter, "is_verified", "rating")
    search_fields = ("title", "body", "display_name", "email", "product__title")
    list_select_related = ("product",)
    actions = ["approve", "reject", "mark_spam"]
    inlines = [ReviewDecisionInline]
    fields = (
        "product",
        "status",
        "rating",
        "title",
        "body",
        "display_name",
        "email",
        "is_verified",
        "order_line",
        "flag_list",
        "photo_thumbnails",
        "reply",
        "helpful_up",
        "helpful_down",
        "created",
    )
    readonly_fields = (
        "product",
        "status",
        "display_name",
        "email",
        "is_verified",
        "order_line",
        "flag_list",
        "photo_thumbnails",
        "helpful_up",
        "helpful_down",
        "created",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Review]:
        return super().get_queryset(request).prefetch_related("photos")

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status == Status.APPROVED:
            fields.append("rating")  # a published rating is final
        return fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # reviews come from shoppers only

    @admin.display(description="flags")
    def flag_list(self, review: Review) -> str:
        labels = dict(Review.Flag.choices)
        return ", ".join(labels.get(flag, flag) for flag in review.flags) or "—"

    @admin.display(description="photos")
    def photo_thumbnails(self, review: Review) -> str:
        return (
            format_html_join(
                " ",
                '<img src="{}" alt="" width="80" style="height:auto">',
                ((photo_url(photo, 320),) for photo in review.photos.all()),
            )
            or "—"
        )

    def save_model(self, request: HttpRequest, obj: Review, form, change: bool) -> None:
        try:
            if {"title", "body", "rating"} & set(form.changed_data):
                review_edit(
                    review=obj,
                    title=obj.title,
                    body=obj.body,
                    rating=form.cleaned_data.get("rating"),
                    edited_by=request.user,
                )
            if "reply" in form.changed_data:
                review_reply(review=obj, reply=obj.reply)
        except ReviewError as error:
            messages.error(request, str(error))

    def delete_model(self, request: HttpRequest, obj: Review) -> None:
        review_delete(review=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        for review in queryset:
            review_delete(review=review)

    def _moderate(self, request: HttpRequest, queryset: QuerySet[Review], status: str) -> None:
        changed = review_moderate(reviews=queryset, status=status, decided_by=request.user)
        label = Status(status).label.lower()
        messages.success(request, f"{changed} review{'s' if changed != 1 else ''} {label}.")

    @admin.action(description="Approve selected reviews")
    def approve(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        self._moderate(request, queryset, Status.APPROVED)

    @admin.action(description="Reject selected reviews")
    def reject(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        self._moderate(request, queryset, Status.REJECTED)

    @admin.action(description="Mark selected reviews as spam")
    def mark_spam(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        self._moderate(request, queryset, Status.SPAM)


@admin.register(ReviewSettings)
class ReviewSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "auto_approve", "requests_enabled")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # one row, made on first visit

    def changelist_view(self, request: HttpRequest, extra_context=None):
        review_settings_get()
        return redirect("admin:reviews_reviewsettings_change", 1)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class PollOptionFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if not 2 <= len(kept) <= 10:
            raise forms.ValidationError("A poll has 2 to 10 options.")


class PollOptionForm(forms.ModelForm):
    class Meta:
        model = PollOption
        fields = ("position", "text", "image", "product")

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if image and hasattr(image, "content_type"):  # a new upload: the media pipeline
            return picture_clean_upload(image)
        return image


class PollOptionInline(admin.TabularInline):
    model = PollOption
    form = PollOptionForm
    formset = PollOptionFormSet
    extra = 2
    max_num = 10
    fields = ("position", "text", "image", "product", "vote_count", "notify_count")
    readonly_fields = ("vote_count", "notify_count")
    autocomplete_fields = ("product",)

    @admin.display(description="notify me")
    def notify_count(self, option: PollOption) -> int:
        return option.notifications.count() if option.pk else 0


class PollAnomalyInline(admin.StackedInline):
    """Bursts of votes, for the merchant to review: from one address (hashed), or of the
    whole poll far above its usual rate. The votes counted by the rules; this says what
    was seen, with the figures. Stacked: each a short list of named figures, which a
    phone shows whole."""

    model = PollAnomaly
    verbose_name = "unusual burst of votes"
    verbose_name_plural = "unusual bursts of votes (counted, for you to review)"
    fields = readonly_fields = (
        "kind",
        "figures",
        "address",
        "first_seen",
        "last_seen",
    )
    extra = 0
    can_delete = True

    @admin.display(description="what was seen")
    def figures(self, anomaly: PollAnomaly) -> str:
        window = f"{anomaly.window_minutes} min"
        if anomaly.kind == PollAnomaly.Kind.RATE and anomaly.usual_votes is not None:
            usual = anomaly.usual_votes
            times = f"{anomaly.vote_count / usual:.0f} times " if usual else ""
            return (
                f"{anomaly.vote_count} votes in {window}: {times}the poll's usual "
                f"{usual:.2f} votes per {window} since it opened"
            )
        return f"{anomaly.vote_count} votes in {window} from one address"

    @admin.display(description="address (hashed)")
    def address(self, anomaly: PollAnomaly) -> str:
        return f"{anomaly.ip_hash[:12]}…" if anomaly.ip_hash else "—"

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Poll)
class PollAdmin(admin.ModelAdmin):
    list_display = (
        "question",
        "opens_at",
        "closes_at",
        "by_email",
        "total_votes",
        "awaiting_confirmation",
        "flagged",
    )
    fields = ("question", "opens_at", "closes_at", "confirm_by_email")
    inlines = [PollOptionInline, PollAnomalyInline]

    def get_inlines(self, request: HttpRequest, obj: Poll | None) -> list:
        # the bursts only when there are some: a new or calm poll has nothing to review
        flagged = obj is not None and obj.anomalies.exists()
        return self.inlines if flagged else [PollOptionInline]

    actions = ["notify_launched"]

    @admin.action(description="Email “notify me” shoppers whose choice is on sale now")
    def notify_launched(self, request: HttpRequest, queryset: QuerySet[Poll]) -> None:
        for poll in queryset:
            poll_launch_notify_on_commit(poll=poll)
        messages.success(
            request,
            "Shoppers who asked will be emailed about every option whose product is active.",
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Poll]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                counted=Count("votes", filter=Q(votes__confirmed_at__isnull=False), distinct=True),
                waiting=Count("votes", filter=Q(votes__confirmed_at__isnull=True), distinct=True),
                bursts=Count("anomalies", distinct=True),
            )
        )

    @admin.display(description="votes", ordering="counted")
    def total_votes(self, poll: Poll) -> int:
        return poll.counted

    @admin.display(description="by email", boolean=True, ordering="confirm_by_email")
    def by_email(self, poll: Poll) -> bool:
        return poll.confirm_by_email

    @admin.display(description="unconfirmed")
    def awaiting_confirmation(self, poll: Poll) -> int:
        return poll.waiting

    @admin.display(description="flagged")
    def flagged(self, poll: Poll) -> str:
        return "Unusual burst: review" if poll.bursts else "no"

    # A poll section shows the poll: any change retires the cached shop page (on commit).
    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        shop_page_changed()

    def delete_model(self, request: HttpRequest, obj: Poll) -> None:
        super().delete_model(request, obj)
        shop_page_changed()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Poll]) -> None:
        super().delete_queryset(request, queryset)
        shop_page_changed()
