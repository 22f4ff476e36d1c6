"""The designer's forms. They only draw the fields: every value is validated by the
services (``services.py`` → ``documents.document_clean``), so a POST that bypasses them
gets the same errors."""

from __future__ import annotations

from django import forms

from shops.storefront.branding import COLOURS, FONTS, SOCIAL_NETWORKS

SETTINGS_PREFIX = "settings"


class BrandingForm(forms.Form):
    tagline = forms.CharField(
        label="Tagline",
        required=False,
        help_text="One line under the shop's name; also "
        "what link previews on social platforms show.",
    )
    font = forms.ChoiceField(label="Font", choices=[(k, v[0]) for k, v in FONTS.items()])
    announcement = forms.CharField(label="Announcement bar", required=False)
    announcement_link = forms.CharField(label="Announcement link", required=False)
    logo = forms.FileField(label="Logo", required=False)
    remove_logo = forms.BooleanField(label="Remove the logo", required=False)
    favicon = forms.FileField(label="Favicon (square picture)", required=False)
    remove_favicon = forms.BooleanField(label="Remove the favicon", required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, (label, _) in COLOURS.items():
            self.fields[name] = forms.CharField(
                label=f"{label} colour",
                widget=forms.TextInput(attrs={"type": "color"}),
            )
        for network, (label, hosts) in SOCIAL_NETWORKS.items():
            self.fields[f"social_{network}"] = forms.CharField(
                label=label,
                required=False,
                widget=forms.URLInput(attrs={"placeholder": f"https://{hosts[0]}/…"}),
            )

    @staticmethod
    def initial_from(branding: dict) -> dict:
        initial = {key: value for key, value in branding.items() if key != "social"}
        for network, address in branding.get("social", {}).items():
            initial[f"social_{network}"] = address
        return initial


def branding_values(post) -> dict:
    """The branding values of a POST, as ``services.branding_update`` takes them."""
    values = {
        name: post.get(name, "")
        for name in (*COLOURS, "font", "tagline", "announcement", "announcement_link")
        if name in post
    }
    values["social"] = {
        network: post.get(f"social_{network}", "").strip()
        for network in SOCIAL_NETWORKS
        if post.get(f"social_{network}", "").strip()
    }
    return values


def section_settings_form(kind, settings: dict, *, section_id: str) -> forms.Form:
    """The section's settings form, filled with its settings (field names are prefixed
    ``settings-`` in the page; ids carry the section's, to stay unique on the page)."""
    return kind.form(initial=settings, prefix=SETTINGS_PREFIX, auto_id=f"id_{section_id}_%s")


def section_settings_from(post) -> dict:
    prefix = f"{SETTINGS_PREFIX}-"
    return {key.removeprefix(prefix): post.get(key) for key in post if key.startswith(prefix)}
