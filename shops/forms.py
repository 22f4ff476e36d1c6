from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from shops.currencies import CURRENCY_CHOICES
from shops.models import Shop
from shops.validators import SLUG_MAX_LENGTH, normalise_slug, validate_shop_slug


class SignupForm(forms.Form):
    name = forms.CharField(label="Shop name", max_length=100)
    slug = forms.CharField(
        label="Shop address",
        max_length=SLUG_MAX_LENGTH,
        help_text=(
            "Lowercase letters, digits and hyphens; your shop will live at <address>.{domain}."
        ),
    )
    currency = forms.ChoiceField(
        label="Currency",
        choices=CURRENCY_CHOICES,
        initial="EUR",
        help_text="The currency your prices are in.",
    )
    owner_email = forms.EmailField(label="Your email")
    password = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)

    def clean_slug(self) -> str:
        slug = normalise_slug(self.cleaned_data["slug"])
        validate_shop_slug(slug)
        if Shop.objects.filter(slug=slug).exists():
            raise ValidationError("That shop address is taken; choose another.", code="taken")
        return slug

    def clean(self) -> dict:
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            try:
                validate_password(password)
            except ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class FindShopForm(forms.Form):
    email = forms.EmailField(
        label="Your email",
        help_text="We email you the sign-in address of every shop where it is an account.",
    )
