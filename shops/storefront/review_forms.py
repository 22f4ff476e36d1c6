"""Shoppers' forms: plain HTML forms that work without JavaScript."""

from __future__ import annotations

from django import forms
from django.conf import settings

from shops.consent.services import CHECKBOX_WORDING

RATING_CHOICES = [(n, f"{n} star{'s' if n > 1 else ''}") for n in range(5, 0, -1)]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; the review services check each through the catalog
    pipeline (so the message names the bad photo)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > settings.REVIEWS_MAX_PHOTOS:
            raise forms.ValidationError(f"Add at most {settings.REVIEWS_MAX_PHOTOS} photos.")
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="Your rating", choices=RATING_CHOICES, coerce=int, widget=forms.RadioSelect
    )
    title = forms.CharField(label="Title", max_length=120, required=False)
    body = forms.CharField(
        label="Your review", max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )
    display_name = forms.CharField(label="Name shown with your review", max_length=60)
    email = forms.EmailField(
        label="Your address for the shop (never shown)",
        required=False,
        help_text="Only so the shop can reach you about your review.",
    )
    photos = MultipleFileField(
        label=f"Photos (up to {settings.REVIEWS_MAX_PHOTOS}; JPEG, PNG, WebP or GIF)",
        required=False,
    )
    # unticked; ticked, the address is asked to confirm (double opt-in)
    marketing_consent = forms.BooleanField(
        label=CHECKBOX_WORDING,
        label_suffix="",
        required=False,
        help_text="Optional. We email you a link to confirm; unsubscribe in one click "
        "from any email.",
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("marketing_consent") and "email" in self.fields and not data.get("email"):
            self.add_error("email", "Enter your address to get emails from the shop.")
        return data


class VerifiedReviewForm(ReviewForm):
    """The review-request link's form: the email is the order's."""

    email = None
