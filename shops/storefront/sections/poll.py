"""Poll: shoppers vote on a question (issue 5); the form while open, results once closed."""

from django import forms

from shops.storefront.fields import text_field
from shops.storefront.sections import FeatureQuery, SectionType


class PollForm(forms.Form):
    heading = text_field("Heading", max_length=120)
    poll = forms.IntegerField(label="Poll number", min_value=1, required=False)


def feature_query(settings: dict) -> FeatureQuery:
    """The chosen poll (or the latest one that has opened) with its options and their
    vote counts, read with the page's other sections. The cached page shows the form
    while the poll is open (one shopper's vote is not part of a shared page: voting
    answers with the results) and the results once it has closed."""
    from reviews.selectors import poll_view_from_json, poll_view_query
    from reviews.services import poll_is_open

    def build(data: object) -> dict | None:
        poll = poll_view_from_json(data)
        if poll is None:
            return None
        is_open = poll_is_open(poll.poll)
        return {"poll": poll, "is_open": is_open, "show_results": not is_open}

    sql, params = poll_view_query(poll_id=settings.get("poll") or None)
    return FeatureQuery(sql=sql, params=params, build=build)


SECTION = SectionType(
    key="poll",
    label="Poll",
    description="Shoppers vote on a question (available with polls).",
    form=PollForm,
    feature_query=feature_query,
)
