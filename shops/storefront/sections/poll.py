"""Polls land with issue 6: until then this section renders nothing."""

from django import forms

from shops.storefront.fields import text_field
from shops.storefront.sections import SectionType


class PollForm(forms.Form):
    heading = text_field("Heading", max_length=120)
    poll = forms.IntegerField(label="Poll number", min_value=1, required=False)


def feature_context(settings: dict) -> dict | None:
    """Hook for issue 6 (polls): return ``{"poll": ...}`` for the chosen (or latest open)
    poll, and fill in templates/storefront/sections/poll.html."""
    return None


SECTION = SectionType(
    key="poll",
    label="Poll",
    description="Shoppers vote on a question (available with polls).",
    form=PollForm,
    feature_context=feature_context,
)
