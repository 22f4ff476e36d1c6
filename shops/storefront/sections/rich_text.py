from django import forms

from catalog.services import sanitize_description
from shops.storefront.fields import text_field
from shops.storefront.sections import SectionType


class RichTextForm(forms.Form):
    heading = text_field("Heading", max_length=120)
    html = forms.CharField(
        label="Text",
        max_length=20_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Paragraphs, headings, lists, links, bold and italic; other HTML is removed.",
    )

    def clean_html(self) -> str:
        return sanitize_description(self.cleaned_data["html"])


SECTION = SectionType(
    key="rich_text",
    label="Rich text",
    description="Formatted text: your story, shipping, care instructions.",
    form=RichTextForm,
)
