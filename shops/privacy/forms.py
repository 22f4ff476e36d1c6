from __future__ import annotations

from django import forms

REVIEW_CHOICES = [
    ("remove", "Remove my reviews and their photos"),
    ("anonymise", "Keep my reviews' text and rating, signed “A shopper” (photos are deleted)"),
]


class EmailForm(forms.Form):
    email = forms.EmailField(
        label="Your email",
        max_length=254,
        help_text="The address you ordered, reviewed or voted with at this shop.",
        error_messages={
            "required": "Enter the email address you used at this shop.",
            "invalid": "Enter an email address like name@example.com.",
        },
    )


class ErasureForm(forms.Form):
    reviews = forms.ChoiceField(
        label="Your reviews",
        choices=REVIEW_CHOICES,
        initial="remove",
        widget=forms.RadioSelect,
    )
    confirm = forms.BooleanField(
        label="I understand this cannot be undone",
        error_messages={"required": "Tick the box to confirm: erasing cannot be undone."},
    )
