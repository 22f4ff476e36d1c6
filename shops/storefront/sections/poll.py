"""Poll: shoppers vote on a question (issue 5); the form while open, results once closed."""

from django import forms

from reviews.selectors import poll_view
from reviews.services import poll_is_open
from shops.storefront.fields import text_field
from shops.storefront.sections import SectionType


class PollForm(forms.Form):
    heading = text_field("Heading", max_length=120)
    poll = forms.IntegerField(label="Poll number", min_value=1, required=False)


def feature_context(settings: dict) -> dict | None:
    """The chosen poll (or the latest one that has opened) with its options and their
    vote counts, in one query. The cached page shows the form while the poll is open
    (one shopper's vote is not part of a shared page: voting answers with the results)
    and the results once it has closed."""
    poll = poll_view(poll_id=settings.get("poll") or None)
    if poll is None:
        return None
    is_open = poll_is_open(poll.poll)
    return {"poll": poll, "is_open": is_open, "show_results": not is_open}


SECTION = SectionType(
    key="poll",
    label="Poll",
    description="Shoppers vote on a question (available with polls).",
    form=PollForm,
    feature_context=feature_context,
)
