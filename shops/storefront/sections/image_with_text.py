from django import forms

from shops.storefront.fields import LinkField, text_field
from shops.storefront.sections import SectionType


class ImageWithTextForm(forms.Form):
    heading = text_field("Heading", max_length=120)
    text = text_field("Text", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    image_alt = text_field("Picture description (alt text)", max_length=200)
    image_position = forms.ChoiceField(
        label="Picture",
        choices=[("left", "Left"), ("right", "Right")],
        initial="left",
        required=False,
    )
    button_label = text_field("Button label", max_length=40)
    button_link = LinkField(label="Button link")


SECTION = SectionType(
    key="image_with_text",
    label="Image with text",
    description="A picture beside a heading, text and a button.",
    form=ImageWithTextForm,
    image_slots=("image",),
    default_settings={"image_position": "left"},
)
