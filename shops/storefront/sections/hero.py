from django import forms

from shops.storefront.fields import LinkField, text_field
from shops.storefront.sections import SectionType


class HeroForm(forms.Form):
    heading = text_field("Heading", max_length=120)
    text = text_field("Text", max_length=300, widget=forms.Textarea(attrs={"rows": 2}))
    button_label = text_field("Button label", max_length=40)
    button_link = LinkField(label="Button link")
    alignment = forms.ChoiceField(
        choices=[("left", "Left"), ("center", "Centre")], initial="center", required=False
    )


SECTION = SectionType(
    key="hero",
    label="Hero banner",
    description="A large heading with a picture and a button.",
    form=HeroForm,
    image_slots=("image",),
    default_settings={"heading": "Welcome", "alignment": "center"},
)
